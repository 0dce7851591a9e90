// The README's two-daemon demo as a test: a discharge to home health sent to one daemon arrives
// as a REF^I12 at a second daemon playing the partner, and both sides agree on the referral.
import Foundation
import SwitchboardDaemon
import SwitchboardTestSupport
import Testing

extension DaemonTests {
    @Suite("outbound referral to a second daemon")
    struct TwoDaemonReferral {
        @Test("send A01 + A03 (disposition 06): the partner daemon stores the REF^I12, the outbox shows it delivered")
        func aDischargeReachesThePartnerDaemon() throws {
            let partner = try Fixture.startDaemon()
            defer { partner.cleanUp() }
            let main = try Fixture.startDaemon(["--destination", "home-health=127.0.0.1:\(partner.port)"])
            defer { main.cleanUp() }
            for name in ["adt_a01.hl7", "adt_a03.hl7"] {
                #expect(try Fixture.ack(try Fixture.sample(name), port: main.port).isAccept, "\(name)")
            }
            let line = try #require(main.waitForErrorLine(containing: "outbox message delivered", timeout: 30))
            #expect(line.contains("outbox.id=O-1") && line.contains("outbox.destination=home-health"))
            let controlID = try #require(line.split(separator: " ").first { $0.hasPrefix("outbox.control_id=") }?.dropFirst("outbox.control_id=".count))

            // The partner stored it as a message of its own, and made it an inbound referral.
            let received = try #require(partner.waitForErrorLine(containing: "hl7.control_id=\(controlID)", timeout: 30))
            #expect(received.contains("hl7.type=REF^I12") && received.contains("disposition=accepted"), "\(received)")
            let referrals = Fixture.run(["caseload", "referrals", "--state", partner.stateDirectory, "--json"])
            #expect(referrals.status == 0 && referrals.output.contains("\"inbound\"") && referrals.output.contains("-home-health"), "\(referrals.output)")

            // Our side: delivered, over the admin API and the CLI.
            let admin = try #require(main.waitForAdminPort())
            let listed = Fixture.run(["outbox", "list", "--recent", "--json", "--admin", "127.0.0.1:\(admin)"])
            let view = try JSONDecoder().decode(OutboxViews.ListView.self, from: Data(listed.output.utf8))
            #expect(view.entries.map(\.status) == ["delivered"] && view.entries.first?.controlID == String(controlID), "\(listed.output)")
            let shown = try LoopbackHTTP.get(port: admin, path: "/api/v1/outbox/O-1")
            #expect(shown.status == 200 && shown.body.contains("REF^I12^REF_I12"))
            #expect(try LoopbackHTTP.get(port: admin, path: "/api/v1/outbox/O-9").status == 404)
            let retry = try LoopbackHTTP.post(port: admin, path: "/api/v1/outbox/O-1/retry", json: #"{"by":"ops"}"#)
            #expect(retry.status == 409, "a delivered entry is not retried: \(retry.body)")
            #expect(try LoopbackHTTP.post(port: admin, path: "/api/v1/outbox/O-1/drop", json: "{}").status == 400)
            // The same through the CLI: show prints the message, retry of a delivered entry is refused.
            let shownCLI = Fixture.run(["outbox", "show", "O-1", "--admin", "127.0.0.1:\(admin)"])
            #expect(shownCLI.status == 0 && shownCLI.output.contains("REF^I12^REF_I12"), "\(shownCLI.errorOutput)")
            let retried = Fixture.run(["outbox", "retry", "O-1", "--by", "ops", "--admin", "127.0.0.1:\(admin)"])
            #expect(retried.status != 0 && retried.errorOutput.contains("HTTP 409"), "\(retried.errorOutput)")
            let dropped = Fixture.run(["outbox", "drop", "O-9", "--by", "ops", "--admin", "127.0.0.1:\(admin)"])
            #expect(dropped.status != 0 && dropped.errorOutput.contains("HTTP 404"), "\(dropped.errorOutput)")
            #expect(main.terminate() == 0)
            #expect(partner.terminate() == 0)
        }

        @Test("over mutual TLS: the REF^I12 reaches the partner daemon's TLS listener with our client certificate",
              .enabled(if: TestCertificates.opensslPath != nil, "openssl is not on PATH"))
        func aDischargeReachesThePartnerOverTLS() throws {
            let pki = try TestCertificates.generate(openssl: TestCertificates.opensslPath!)
            defer { pki.remove() }
            let partnerConfig = pki.directory + "/partner.yaml"
            try """
                tls:
                  listen: 127.0.0.1:0
                  certificate: \(pki.serverCertificate)
                  private_key: \(pki.serverKey)
                  ca: \(pki.caCertificate)
                """.write(toFile: partnerConfig, atomically: true, encoding: .utf8)
            let partner = try Fixture.startDaemon(["--config", partnerConfig])
            defer { partner.cleanUp() }
            let line = try #require(partner.waitForErrorLine(containing: "mllp.listener=mllp-tls", timeout: 30))
            let tlsPort = try #require(Fixture.logValue("mllp.address", in: line)?.split(separator: ":").last.flatMap { Int($0) })
            let mainConfig = pki.directory + "/main.yaml"
            try """
                destinations:
                  home-health:
                    address: 127.0.0.1:\(tlsPort)
                    tls:
                      ca: \(pki.caCertificate)
                      certificate: \(pki.clientCertificate)
                      private_key: \(pki.clientKey)
                      server_name: localhost
                """.write(toFile: mainConfig, atomically: true, encoding: .utf8)
            let main = try Fixture.startDaemon(["--config", mainConfig])
            defer { main.cleanUp() }
            for name in ["adt_a01.hl7", "adt_a03.hl7"] {
                #expect(try Fixture.ack(try Fixture.sample(name), port: main.port).isAccept, "\(name)")
            }
            let delivered = try #require(main.waitForErrorLine(containing: "outbox message delivered", timeout: 30))
            let controlID = try #require(Fixture.logValue("outbox.control_id", in: delivered))
            let received = try #require(partner.waitForErrorLine(containing: "hl7.control_id=\(controlID)", timeout: 30))
            #expect(received.contains("mllp.listener=mllp-tls") && received.contains("hl7.type=REF^I12"), "\(received)")
            #expect(main.terminate() == 0)
            #expect(partner.terminate() == 0)
        }
    }
}
