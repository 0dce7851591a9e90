import SwitchboardTestSupport
import Testing

/// Runs the real `switchboard` executable built next to the test bundle.
@Suite("switchboard inspect / convert")
struct InspectCommandTests {
    static let root = SharedConformance.repositoryRoot(testFile: #filePath)


    @Test func prettyNamesFields() throws {
        let r = try runSwitchboard(["inspect", Self.root + "/samples/adt_a01.hl7"])
        #expect(r.status == 0)
        #expect(r.output.contains("MSH-10   Message Control ID"))
        #expect(r.output.contains("PID-5    Patient Name"))
        #expect(r.output.contains(".1 SYNTHETIC"))
    }

    @Test func treeJSONOfABatch() throws {
        let r = try runSwitchboard(["inspect", "--format", "tree-json", Self.root + "/samples/batch_adt.hl7"])
        #expect(r.status == 0)
        #expect(r.output.hasPrefix("{\"format\":\"hl7v2-canonical-tree/1\""))
        #expect(r.output.contains("\"message_type\":\"ADT^A01^ADT_A01\""))
        #expect(r.output.contains("{\"id\":\"FHS\",\"fields\":[[[[\"|\"]]],[[[\"^~\\\\&\"]]]"))
    }

    @Test func er7FromStandardInputNormalizesTerminators() throws {
        let r = try runSwitchboard(["inspect", "--format", "er7", "-"], input: Array("MSH|^~\\&|A\nPID|1\r\n\r\nPV1|1".utf8))
        #expect(r.status == 0)
        #expect(r.stdout == Array("MSH|^~\\&|A\rPID|1\rPV1|1\r".utf8))
        let c = try runSwitchboard(["convert", "--to", "er7", "-"], input: Array("MSH|^~\\&|A\nPID|1".utf8))
        #expect(c.stdout == Array("MSH|^~\\&|A\rPID|1\r".utf8))
    }

    @Test func badInputNamesFileAndOffsetAndExitsTwo() throws {
        let r = try runSwitchboard(["inspect", "-"], input: Array("MSH|^~\\&|A\rPI|1\r".utf8))
        #expect(r.status == 2)
        #expect(r.errorOutput.contains("<stdin>:11:"))
        #expect(r.errorOutput.contains("invalid segment id"))
        let missing = try runSwitchboard(["inspect", "/nonexistent/x.hl7"])
        #expect(missing.status == 2)
        #expect(missing.errorOutput.contains("/nonexistent/x.hl7: cannot open"))
        let usage = try runSwitchboard(["inspect", "--format", "yaml", "x"])
        #expect(usage.status == 2)
        let convert = try runSwitchboard(["convert", "--to", "er7", "-"], input: [0xFF, 0xFE, 0x4D, 0x00])
        #expect(convert.status == 2)
    }

    /// The official checker of ../shared/conformance over the CLI (skips without the corpus or python3).
    @Test func conformanceCheckerPassesOverTheCLI() throws {
        guard let dir = SharedConformance.directory(repositoryRoot: Self.root),
              CommandRunner.run("/usr/bin/env", ["python3", "--version"]).status == 0,
              let exe = CommandRunner.switchboardPath else {
            print(#"{"test":"conformance-cli","skipped":true}"#)
            return
        }
        let r = CommandRunner.run("/usr/bin/env", ["python3", dir + "/check.py", "--jobs", "2", "--cmd", exe + " inspect --format tree-json {file}"])
        let last = r.output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(r.status == 0, "\(r.output.suffix(2000))")
        #expect(last.hasSuffix(" 0 failed"))
        print(#"{"test":"conformance-cli","result":"\#(last)"}"#)
    }
}

#if canImport(Glibc)
import Glibc
#endif
