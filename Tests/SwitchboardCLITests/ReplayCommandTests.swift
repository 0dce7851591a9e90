// `switchboard replay` and `journal export` end to end: the samples offline (twice: the second
// time everything is a duplicate), export then replay into a fresh directory (same caseload
// hash), damage in the middle of an archive (reported with its offset, the rest replayed), the
// conformance corpus, and online replay to a running daemon.
import Foundation
import SwitchboardTestSupport
import Testing

private func readFile(_ path: String) throws -> [UInt8] {
    Array(try #require(FileManager.default.contents(atPath: path), "cannot read \(path)"))
}

private func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

@Suite("replay command")
struct ReplayCommandTests {
    private static let root = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
    private static let samples = root + "/samples"

    private func temporary() throws -> String { try TemporaryDirectory.make(prefix: "switchboard-replay") }

    @Test func samplesReplayOfflineAndASecondReplayChangesNothing() throws {
        let work = try temporary()
        let state = work + "/state"
        let first = try runSwitchboard(["replay", Self.samples, "--state", state, "--report", work + "/first.json"])
        #expect(first.status == 0, "\(first.output)\(first.errorOutput)")
        #expect(first.errorOutput.contains("README.md: no HL7 message, skipped"))
        let hash = try runSwitchboard(["caseload", "hash", "--state", state]).output
        let second = try runSwitchboard(["replay", Self.samples, "--state", state])
        #expect(second.status == 0, "\(second.errorOutput)")
        let total = try #require(second.output.split(separator: " ").first.flatMap { Int($0) })
        #expect(second.output.contains("(\(total) already stored)"), "\(second.output)")
        #expect(try runSwitchboard(["caseload", "hash", "--state", state]).output == hash)
        let report = try #require(String(validating: try readFile(work + "/first.json"), as: UTF8.self))
        #expect(report.contains("\"control_id\" : \"MSG-A01-0001\"") && report.contains("\"source\" : \"\(Self.samples)/adt_a01.hl7\""))
    }

    @Test func exportThenReplayIntoAFreshDirectoryGivesTheSameCaseload() throws {
        let work = try temporary()
        #expect(try runSwitchboard(["replay", Self.samples, "--state", work + "/a"]).status == 0)
        let export = try runSwitchboard(["journal", "export", "--state", work + "/a", "--output", work + "/all.mllp"])
        #expect(export.status == 0 && export.errorOutput.contains("exported"), "\(export.errorOutput)")
        let replay = try runSwitchboard(["replay", work + "/all.mllp", "--state", work + "/b"])
        #expect(replay.status == 0, "\(replay.errorOutput)")
        let a = try runSwitchboard(["caseload", "hash", "--state", work + "/a"]).output
        let b = try runSwitchboard(["caseload", "hash", "--state", work + "/b"]).output
        #expect(a == b && a.count == 17)
        // The ER7 form of the export replays too, and a type filter selects.
        #expect(try runSwitchboard(["journal", "export", "--state", work + "/a", "--format", "er7", "--output", work + "/all.hl7"]).status == 0)
        let adt = try runSwitchboard(["replay", work + "/all.hl7", "--state", work + "/c", "--type", "ADT^A0*"])
        #expect(adt.status == 0 && !adt.output.contains("SIU") && adt.output.contains("ADT^A01"), "\(adt.output)")
    }

    @Test func aDryRunWritesNothingAndSaysWhatWouldChange() throws {
        let work = try temporary()
        let dry = try runSwitchboard(["replay", Self.samples, "--dry-run", "--state", work + "/none", "--report", work + "/dry.json"])
        #expect(dry.status == 0, "\(dry.output)\(dry.errorOutput)")
        #expect(dry.output.contains("dry run, nothing written"))
        #expect(!FileManager.default.fileExists(atPath: work + "/none"))
        let report = try #require(String(validating: try readFile(work + "/dry.json"), as: UTF8.self))
        #expect(report.contains("case C-1 opened") && report.contains("post-discharge-contact due"), "\(report)")
        // Against a directory that already holds the samples: everything is a duplicate.
        #expect(try runSwitchboard(["replay", Self.samples, "--state", work + "/state"]).status == 0)
        let hash = try runSwitchboard(["caseload", "hash", "--state", work + "/state"]).output
        let again = try runSwitchboard(["replay", Self.samples, "--dry-run", "--state", work + "/state"])
        #expect(again.output.contains("0 messages would change the caseload"), "\(again.output)")
        #expect(try runSwitchboard(["caseload", "hash", "--state", work + "/state"]).output == hash)
        // A refused message is listed with the ERR it would get.
        try writeFile(work + "/bad.hl7", Array("MSH|^~\\&|ADT1|GHH|SWB|CC|20261129||ADT^A01^ADT_A01|BAD-1|P|2.5.1\rEVN|A01\r".utf8))
        let bad = try runSwitchboard(["replay", work + "/bad.hl7", "--dry-run"])
        #expect(bad.status == 1 && bad.output.contains("would be refused") && bad.output.contains("BAD-1"), "\(bad.output)")
    }

    @Test func resumeSkipsWhatAPreviousReportShowsAccepted() throws {
        let work = try temporary()
        let part = try runSwitchboard(["replay", Self.samples, "--state", work + "/state", "--limit", "3", "--report", work + "/part.json"])
        #expect(part.status == 0 && part.output.hasPrefix("3 messages"), "\(part.output)")
        let rest = try runSwitchboard(["replay", Self.samples, "--state", work + "/state", "--resume", work + "/part.json",
                                       "--report", work + "/all.json"])
        #expect(rest.status == 0, "\(rest.errorOutput)")
        #expect(rest.errorOutput.contains("resuming: 3 messages already accepted"), "\(rest.errorOutput)")
        #expect(rest.output.hasPrefix("4 messages"), "\(rest.output)")
        let report = try #require(String(validating: try readFile(work + "/all.json"), as: UTF8.self))
        #expect(report.components(separatedBy: "\"offset\"").count - 1 == 7)
        #expect(try runSwitchboard(["replay", Self.samples, "--resume", "/nonexistent.json", "--state", work + "/state"]).status == 2)
    }

    @Test func aBrokenFrameInTheMiddleIsReportedAndTheRestReplays() throws {
        let work = try temporary()
        let messages = try ["adt_a01.hl7", "adt_a08.hl7", "adt_a03.hl7"].map { try readFile(Self.samples + "/" + $0) }
        // Frame 2 loses its end block: the reader meets frame 3's start block inside it.
        var archive: [UInt8] = [0x0B] + messages[0] + [0x1C, 0x0D]
        let brokenAt = archive.count
        archive += [0x0B] + messages[1]
        archive += [0x0B] + messages[2] + [0x1C, 0x0D]
        try writeFile(work + "/broken.mllp", archive)
        let result = try runSwitchboard(["replay", work + "/broken.mllp", "--state", work + "/state"])
        #expect(result.status == 1)
        #expect(result.errorOutput.contains("broken.mllp:\(brokenAt): MLLP frame broken"), "\(result.errorOutput)")
        #expect(result.output.hasPrefix("2 messages"), "\(result.output)")
    }

    @Test func theConformanceCorpusReplaysOffline() throws {
        guard let corpus = SharedConformance.directory(repositoryRoot: Self.root) else { return }  // absent: skip
        let work = try temporary()
        let result = try runSwitchboard(["replay", corpus + "/corpus/er7", corpus + "/corpus/xml", "--state", work + "/state",
                                         "--report", work + "/report.json"])
        // Some real-world files are refused (versions, structure): every message gets an answer.
        let report = try #require(String(validating: try readFile(work + "/report.json"), as: UTF8.self))
        let rows = report.components(separatedBy: "\"offset\"").count - 1
        let total = try #require(result.output.split(separator: " ").first.flatMap { Int($0) }, "\(result.output)\(result.errorOutput)")
        #expect(rows == total && total > 50)
        #expect(!report.contains("\"ack\" : \"error\""))
        #expect(try runSwitchboard(["caseload", "hash", "--verify", "--state", work + "/state"]).status == 0)
    }

    @Test func theConformanceCorpusReplaysOnline() throws {
        guard let corpus = SharedConformance.directory(repositoryRoot: Self.root) else { return }  // absent: skip
        let executable = try #require(CommandRunner.switchboardPath)
        let daemon = try DaemonProcess.start(executable: executable)
        defer { daemon.cleanUp() }
        let work = try temporary()
        let result = try runSwitchboard(["replay", corpus + "/corpus/er7", corpus + "/corpus/xml", "--to", "127.0.0.1:\(daemon.port)",
                                         "--report", work + "/online.json", "--timeout", "10"])
        let report = try #require(String(validating: try readFile(work + "/online.json"), as: UTF8.self), "\(result.errorOutput)")
        // Every message got its answer (or, asking for none, none); refusals are answers too.
        // The only errors: messages holding an MLLP block byte, which cannot travel as a frame.
        let errors = report.components(separatedBy: "\"ack\" : \"error\"").count - 1
        let unsendable = report.components(separatedBy: "is an MLLP block byte").count - 1
        #expect(errors == unsendable, "\(result.errorOutput)")
        #expect(report.components(separatedBy: "\"offset\"").count - 1 > 50)
        #expect(daemon.terminate() == 0)
    }

    @Test func onlineReplayToARunningDaemon() throws {
        let executable = try #require(CommandRunner.switchboardPath)
        let daemon = try DaemonProcess.start(executable: executable)
        defer { daemon.cleanUp() }
        let work = try temporary()
        let first = try runSwitchboard(["replay", Self.samples, "--to", "127.0.0.1:\(daemon.port)", "--report", work + "/online.json"])
        #expect(first.status == 0, "\(first.output)\(first.errorOutput)")
        let again = try runSwitchboard(["replay", Self.samples, "--to", "127.0.0.1:\(daemon.port)", "--rate", "200"])
        #expect(again.status == 0, "\(again.errorOutput)")
        #expect(daemon.terminate() == 0)
        // The daemon stored each message once.
        let offline = try runSwitchboard(["replay", Self.samples, "--state", work + "/offline"])
        #expect(offline.status == 0)
        #expect(try runSwitchboard(["caseload", "hash", "--state", daemon.stateDirectory]).output
                == runSwitchboard(["caseload", "hash", "--state", work + "/offline"]).output)
        // Nothing listening: a clear error, exit 1.
        let closed = ClosedPort()
        let refused = try runSwitchboard(["replay", Self.samples, "--to", "127.0.0.1:\(closed.port)"])
        #expect(refused.status == 1 && refused.errorOutput.contains("127.0.0.1"), "\(refused.errorOutput)")
    }

    @Test func aMessageThatAsksForNoAckDoesNotShiftTheOthersAnswers() throws {
        let executable = try #require(CommandRunner.switchboardPath)
        let daemon = try DaemonProcess.start(executable: executable)
        defer { daemon.cleanUp() }
        let work = try temporary()
        // A message that asks for no ACK (MSH-15 NE) in the middle of a pipelined window: the
        // answers of the others still match their messages.
        let quiet = (0..<6).map { n -> String in
            let accept = n == 2 ? "NE" : "AL"
            return "MSH|^~\\&|ADT1|GHH|SWB|CC|20261129083000||ADT^A08^ADT_A01|QUIET-\(n)|P|2.5.1|||\(accept)\rEVN|A08|20261129083000\r"
                + "PID|1||MRN100001^^^GHH&2.16.840.1.113883.3.999&ISO^MR||SYNTHETIC^ALEX\r"
        }
        try writeFile(work + "/quiet.hl7", Array(quiet.joined(separator: "\n").utf8))
        let mixed = try runSwitchboard(["replay", work + "/quiet.hl7", "--to", "127.0.0.1:\(daemon.port)", "--window", "32",
                                        "--report", work + "/quiet.json", "--timeout", "5"])
        #expect(mixed.status == 0, "\(mixed.output)\(mixed.errorOutput)")
        let rows = try #require(String(validating: try readFile(work + "/quiet.json"), as: UTF8.self))
        #expect(!rows.contains("\"ack\" : \"error\"") && rows.contains("\"ack\" : \"none\""), "\(rows)")
        #expect(daemon.terminate() == 0)
    }
}
