// The archives the bench commands write for replay measurements replay as they say.
import Foundation
import SwitchboardTestSupport
import Testing

@Suite("bench archives")
struct BenchArchiveTests {
    private func report(_ path: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
    }

    @Test func theCorpusAdmitsAndDischargesAndIsTheSameEachTime() throws {
        let work = try TemporaryDirectory.make(prefix: "switchboard-bench")
        defer { TemporaryDirectory.remove(work) }
        #expect(try runSwitchboard(["bench", "corpus", "--messages", "40", "--output", work + "/a.mllp"]).status == 0)
        #expect(try runSwitchboard(["bench", "corpus", "--messages", "40", "--output", work + "/b.mllp"]).status == 0)
        #expect(FileManager.default.contentsEqual(atPath: work + "/a.mllp", andPath: work + "/b.mllp"))
        let replay = try runSwitchboard(["replay", work + "/a.mllp", "--state", work + "/state", "--report", work + "/r.json"])
        #expect(replay.status == 0, "\(replay.output)\(replay.errorOutput)")
        let rows = try report(work + "/r.json")
        #expect(rows.count == 40 && rows.allSatisfy { $0["ack"] as? String == "AA" })
        #expect(rows.filter { $0["message_type"] as? String == "ADT^A03" }.count == 10)
        // The first discharge is patient 0's: its encounter is discharged, its cases follow up.
        let patient = try runSwitchboard(["caseload", "patient", "GHH:MRN00000000", "--state", work + "/state"])
        #expect(patient.output.contains("discharged") && patient.output.contains("post-discharge-contact"), "\(patient.output)")
    }

    @Test func theLoadArchiveHoldsWhatBenchLoadWouldSendInterleavedByConnection() throws {
        let work = try TemporaryDirectory.make(prefix: "switchboard-bench")
        defer { TemporaryDirectory.remove(work) }
        let written = try runSwitchboard(["bench", "load", "--archive", work + "/load.mllp", "--connections", "2", "--messages", "5",
                                          "--run-id", "arc"])
        #expect(written.status == 0, "\(written.errorOutput)")
        let dry = try runSwitchboard(["replay", work + "/load.mllp", "--dry-run", "--report", work + "/r.json"])
        #expect(dry.status == 0, "\(dry.output)\(dry.errorOutput)")
        #expect(try report(work + "/r.json").map { $0["control_id"] as? String ?? "" } == ["arc-1-1", "arc-2-1", "arc-1-2", "arc-2-2", "arc-1-3"])
        #expect(try runSwitchboard(["bench", "load", "--archive", work + "/x", "--to", "127.0.0.1:1"]).status == 2)
    }
}
