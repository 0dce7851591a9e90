import Foundation
import HL7
import SwitchboardTestSupport
import Testing

/// Replays the fuzz corpus kept in `Fuzz/corpus` through the same checks as the libFuzzer
/// targets (`Fuzz/*.swift`), deterministically, on every test run: inputs that once found new
/// coverage stay regression tests even where libFuzzer is not built.
@Suite("Fuzz corpus replay")
struct FuzzCorpusReplayTests {
    static let root = SharedConformance.repositoryRoot(testFile: #filePath)

    static func corpus(_ target: String) throws -> [[UInt8]] {
        let dir = root + "/Fuzz/corpus/" + target
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        return try names.map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0))) }
    }

    @Test func er7ParserCorpus() throws {
        let inputs = try Self.corpus("ER7Parser")
        #expect(!inputs.isEmpty)
        var parsed = 0
        for bytes in inputs {
            if let batch = try? HL7Batch(parsing: bytes) {
                parsed += 1
                _ = HL7CanonicalTree.json(batch)
                for message in batch.messages {
                    _ = message.header
                    for segment in message.segments {
                        for field in segment.fields { _ = field.children.map { $0.children.map(\.formattedText) } }
                    }
                    var edited = message
                    if (try? edited.set("PID-3[2].4.2", to: "X|Y^Z")) != nil {
                        #expect(edited["PID-3[2].4.2"].text == "X|Y^Z")
                    }
                }
            }
            if let message = try? HL7Message(parsing: bytes) {
                #expect(message.serialized() == bytes)
            }
        }
        print(#"{"test":"fuzz-replay-er7","inputs":\#(inputs.count),"parsed":\#(parsed)}"#)
    }

    @Test func ackBuilderCorpus() throws {
        let inputs = try Self.corpus("AckBuilder") + Self.corpus("HeaderPeek")
        #expect(!inputs.isEmpty)
        for bytes in inputs {
            let header = HL7HeaderPeek.peek(bytes)
            let ack = HL7Acknowledgment.build(
                for: header, outcome: .error,
                errors: [.init(code: .dataTypeError, location: .init(segmentID: "PID", field: 3), diagnostic: "x")],
                controlID: "ACK1", timestamp: HL7Timestamp(year: 2026))
            let parsed = try HL7Message(parsing: ack)
            #expect(parsed.header.messageCode == "ACK")
            if let header {
                #expect(parsed["MSA-2"].text == header.controlID)
            }
        }
        print(#"{"test":"fuzz-replay-ack","inputs":\#(inputs.count)}"#)
    }
}
