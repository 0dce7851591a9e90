import Glibc
import Journal
import SwitchboardTestSupport
import Testing

/// Runs `switchboard journal verify|dump|repair` (the real executable) against journals written
/// by `FileJournal` in a temporary state directory.
@Suite("switchboard journal")
struct JournalCommandTests {

    /// A state directory holding a 5-record journal (single appends, one 512-byte sector each).
    func makeState() async throws -> (state: String, segment: String) {
        var template = Array("/tmp/journal-cli-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let state = String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(made != nil)
        let journal = try await FileJournal.open(JournalConfiguration(stateDirectory: state))
        for index in 1...5 { _ = try await journal.append(Array("record \(index)".utf8)) }
        await journal.close()
        return (state, state + "/journal/segment-00000000000000000001.log")
    }

    @Test func verifyDumpAndRepairATornTail() async throws {
        let (state, segment) = try await makeState()
        defer { _ = system("rm -rf '\(state)'") }
        var result = try runSwitchboard(["journal", "verify", "--state", state])
        #expect(result.status == 0)
        #expect(result.output.contains("records: 5 (seq 1...5)"))

        result = try runSwitchboard(["journal", "dump", "--state", state, "--from", "4", "--format", "jsonl"])
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("{\"seq\":4,\"segment\":\"segment-00000000000000000001.log\",\"offset\":1536,\"length\":8,\"crc_ok\":true,\"time\":\"") == true)

        #expect(truncate(segment, 2048 + 20) == 0)  // tear record 5
        result = try runSwitchboard(["journal", "verify", "--state", state])
        #expect(result.status == 1)
        #expect(result.errorOutput.contains("\(segment):2048: torn tail"))

        result = try runSwitchboard(["journal", "repair", "--state", state])
        #expect(result.status == 0)
        #expect(result.output.contains("cut 20 bytes off segment-00000000000000000001.log at offset 2048"))
        #expect(access(state + "/journal/torn-segment-00000000000000000001.log-at-2048.bin", R_OK) == 0)
        #expect(try runSwitchboard(["journal", "verify", "--state", state]).status == 0)
    }

    @Test func midJournalCorruptionIsReportedAndNotRepaired() async throws {
        let (state, segment) = try await makeState()
        defer { _ = system("rm -rf '\(state)'") }
        let fd = open(segment, O_RDWR)
        var byte: UInt8 = 0
        _ = pread(fd, &byte, 1, 1024 + 45)
        byte ^= 0x08
        _ = pwrite(fd, &byte, 1, 1024 + 45)  // a payload bit of record 3
        close(fd)
        let verify = try runSwitchboard(["journal", "verify", "--state", state])
        #expect(verify.status == 1)
        #expect(verify.errorOutput.contains("\(segment):1024: corrupt record at offset 1024"))
        let repair = try runSwitchboard(["journal", "repair", "--state", state])
        #expect(repair.status == 1)
        #expect(repair.errorOutput.contains("refusing to repair"))
        let dump = try runSwitchboard(["journal", "dump", "--state", state, "--format", "jsonl"])
        #expect(dump.status == 1)
        #expect(dump.output.split(separator: "\n").last?.contains("\"crc_ok\":false") == true)
    }

    @Test func badUsageAndMissingJournalExitTwo() throws {
        #expect(try runSwitchboard(["journal", "verify"]).status == 2)
        #expect(try runSwitchboard(["journal", "verify", "--state", "/nonexistent-switchboard-state"]).status == 2)
        #expect(try runSwitchboard(["journal", "dump", "--state", "/tmp", "--format", "xml"]).status == 2)
    }
}
