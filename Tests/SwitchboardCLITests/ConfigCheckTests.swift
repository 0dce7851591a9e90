// `switchboard config check FILE`: validation without starting, errors with file, line and key.
import Foundation
import SwitchboardTestSupport
import Testing

@Suite("config check")
struct ConfigCheckTests {
    private static let root = SharedConformance.repositoryRoot(testFile: #filePath)

    private func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "config-check-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theShippedFileIsValid() throws {
        let result = try runSwitchboard(["config", "check", "--no-environment", Self.root + "/config/switchboard.yaml"])
        #expect(result.status == 0, "\(result.errorOutput)")
        #expect(result.errorOutput.contains("switchboard.yaml: ok"))
    }

    @Test func showPrintsTheEffectiveSettings() throws {
        let path = try write("mllp:\n  listen: 0.0.0.0:3575\nlog:\n  level: notice\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runSwitchboard(["config", "check", "--no-environment", "--show", path])
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.contains("mllp.listen=0.0.0.0:3575"))
        #expect(lines.contains("log.level=notice"))
        #expect(lines.contains("admin.listen=127.0.0.1:9575"))
        #expect(lines.contains("state.directory=./switchboard-state"))
    }

    @Test func destinationsAndReferralRulesAreReadAndChecked() throws {
        let good = try write("""
            rules:
              referrals:
                snf:
                  dispositions: ["03", "04"]
                  destination: skilled-nursing
            destinations:
              skilled-nursing:
                address: 127.0.0.1:2590
                encoding: xml
                max_attempts: 3
            """)
        defer { try? FileManager.default.removeItem(atPath: good) }
        let shown = try runSwitchboard(["config", "check", "--no-environment", "--show", good])
        #expect(shown.status == 0, "\(shown.errorOutput)")
        #expect(shown.output.contains("destinations=skilled-nursing=127.0.0.1:2590 tls=false"), "\(shown.output)")
        #expect(shown.output.contains("maxAttempts: 3"), "\(shown.output)")

        for (text, expected) in [
            ("destinations:\n  hh:\n    encoding: hl7\n", ":3: destinations.hh.encoding: expected er7 or xml, got 'hl7'"),
            ("destinations:\n  hh:\n    adress: 127.0.0.1:2590\n", ":3: destinations.hh.adress: unknown key"),
            ("destinations:\n  hh:\n    tls:\n      certificate: /x.pem\n", "destinations.hh.tls.certificate: set, but destinations.hh.tls.ca is not"),
            ("rules:\n  referrals:\n    hh:\n      destination: hh\n", "rules.referrals.hh.dispositions: every referral rule needs discharge dispositions"),
        ] {
            let bad = try write(text)
            defer { try? FileManager.default.removeItem(atPath: bad) }
            let result = try runSwitchboard(["config", "check", "--no-environment", bad])
            #expect(result.status == 2 && result.errorOutput.contains(expected), "\(result.errorOutput)")
        }
    }

    @Test func aBadValueExitsTwoWithFileLineAndKey() throws {
        let path = try write("log:\n  level: info\nmllp:\n  listen: nowhere\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runSwitchboard(["config", "check", "--no-environment", path])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("\(path):4: mllp.listen: expected HOST:PORT, got 'nowhere'"), "\(result.errorOutput)")
    }

    @Test func unreadableTLSFilesAreReported() throws {
        let path = try write("tls:\n  listen: 127.0.0.1:2576\n  certificate: /nonexistent/server.pem\n  private_key: /nonexistent/server.key\n  ca: /nonexistent/ca.pem\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runSwitchboard(["config", "check", "--no-environment", path])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("tls"), "\(result.errorOutput)")
    }

    @Test func aMissingFileIsNamed() throws {
        let result = try runSwitchboard(["config", "check", "/nonexistent/switchboard.yaml"])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("/nonexistent/switchboard.yaml: cannot read the file"))
    }
}
