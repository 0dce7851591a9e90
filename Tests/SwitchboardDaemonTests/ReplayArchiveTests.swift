// The replay archive reader: every format it sniffs, and damage reported with its offset while
// the rest of the file still yields its messages.
#if canImport(Glibc)
import Glibc
#endif
import SwitchboardDaemon
import SwitchboardTestSupport
import Testing

@Suite("replay archive reader")
struct ReplayArchiveTests {
    static func message(_ id: String, _ newline: String = "\r") -> String {
        ["MSH|^~\\&|ADT1|GHH|SWB|CC|20261129083000||ADT^A01^ADT_A01|\(id)|P|2.5.1", "EVN|A01|20261129083000",
         "PID|1||M\(id)^^^GHH^MR||SYNTHETIC^PAT"].joined(separator: newline) + newline
    }

    @Test(arguments: ["\r", "\n", "\r\n"])
    func er7TextWithManyMessagesAnyLineEndAndBlankLines(newline: String) {
        let text = Self.message("A", newline) + newline + newline + Self.message("B", newline) + "  " + newline + Self.message("C", newline)
        let (items, problems, format, gzip) = ReplayArchiveReader.read(Array(text.utf8), source: "f.hl7")
        #expect(format == .er7 && !gzip && problems.isEmpty)
        #expect(items.count == 3)
        #expect(items.map { String(decoding: $0.bytes, as: UTF8.self) } == ["A", "B", "C"].map { Self.message($0) })
        #expect(items[1].offset == text.utf8.count - Self.message("B", newline).utf8.count - ("  " + newline).utf8.count - Self.message("C", newline).utf8.count)
    }

    @Test func batchEnvelopesAreNotMessageContent() {
        let text = "FHS|^~\\&|ADT1\rBHS|^~\\&|ADT1\r" + Self.message("A") + Self.message("B") + "BTS|2\rFTS|1\r"
        let (items, problems, _, _) = ReplayArchiveReader.read(Array(text.utf8), source: "batch.hl7")
        #expect(problems.isEmpty && items.count == 2)
        #expect(items.allSatisfy { !String(decoding: $0.bytes, as: UTF8.self).contains("BTS") })
    }

    @Test func mllpJunkAndAMissingEndBlockAreReportedAndSkipped() {
        var bytes: [UInt8] = [0x0B] + Array(Self.message("A").utf8) + [0x1C, 0x0D]
        let junkAt = bytes.count
        bytes += Array("garbage".utf8)
        bytes += [0x0B] + Array(Self.message("B").utf8) + [0x1C, 0x0D]
        let truncatedAt = bytes.count
        bytes += [0x0B] + Array(Self.message("C").utf8)
        let (items, problems, format, _) = ReplayArchiveReader.read(bytes, source: "s.mllp")
        #expect(format == .mllp)
        #expect(items.map(\.offset) == [1, junkAt + 8])
        #expect(problems.map(\.offset) == [junkAt, truncatedAt], "\(problems)")
    }

    @Test func xmlDocumentsAreOneMessage() {
        let xml = "\u{FEFF}  <ADT_A01 xmlns=\"urn:hl7-org:v2xml\"><MSH/></ADT_A01>"
        let (items, _, format, _) = ReplayArchiveReader.read(Array(xml.utf8), source: "a.xml")
        #expect(format == .xml && items.count == 1)
    }

    @Test func gzipMembersAndATruncatedStream() throws {
        let candidates: [String] = ["/usr/bin/gzip", "/bin/gzip"]
        guard let gzip = candidates.first(where: { path in access(path, X_OK) == 0 }) else { return }  // no gzip: skip
        let first = CommandRunner.run(gzip, ["-c"], input: Array((Self.message("A") + Self.message("B")).utf8)).stdout
        let second = CommandRunner.run(gzip, ["-c"], input: Array(Self.message("C").utf8)).stdout
        let (items, problems, format, wasGzip) = ReplayArchiveReader.read(first + second, source: "two.gz")
        #expect(wasGzip && format == .er7 && problems.isEmpty && items.count == 3)

        let big = (0..<200).map { Self.message("M\($0)") }.joined()
        let compressed = CommandRunner.run(gzip, ["-c"], input: Array(big.utf8)).stdout
        let cut = Array(compressed.prefix(compressed.count * 2 / 3))
        let (partial, damage, _, _) = ReplayArchiveReader.read(cut, source: "cut.gz")
        #expect(damage.first?.message.contains("truncated") == true, "\(damage)")
        #expect(damage.first?.offset == cut.count)
        #expect(partial.count > 50 && partial.count < 200)
    }
}
