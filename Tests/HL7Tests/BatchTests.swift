import HL7
import Testing

@Suite("Batches and files")
struct BatchTests {
    let msg1 = "MSH|^~\\&|A|F|||20261129||ADT^A04|1|P|2.5\rPID|1||X\r"
    let msg2 = "MSH|^~\\&|A|F|||20261129||ADT^A04|2|P|2.5\rPID|1||Y\r"

    @Test func fullBatch() throws {
        let text = "FHS|^~\\&|A\rBHS|^~\\&|A\r" + msg1 + msg2 + "BTS|2\rFTS|1\r"
        let b = try HL7Batch(parsing: text)
        #expect(b.messages.count == 2)
        #expect(b.messages.map { $0.header.controlID } == ["1", "2"])
        #expect(b.messages[1]["PID-3"].text == "Y")
        #expect(b.fileHeader != nil)
        #expect(b.batchHeaders.count == 1)
        #expect(b.segments.map(\.id) == ["FHS", "BHS", "MSH", "PID", "MSH", "PID", "BTS", "FTS"])
        #expect(b.messageSegmentIndexes == [2, 4])
        #expect(b.segments[0][2].rawText == "^~\\&")
    }

    @Test func emptyBatchAndPlainFile() throws {
        #expect(try HL7Batch(parsing: "FHS|^~\\&\rBHS|^~\\&\rBTS|0\rFTS|1\r").messages.isEmpty)
        #expect(try HL7Batch(parsing: msg1 + "\n" + msg2).messages.count == 2)
    }

    @Test(arguments: [
        "BHS|^~\\&\rPID|1\rBTS|0\r", // segments without MSH
        "BHS|^~\\&\rMSH|^~\\&|A\rBHS|^~\\&\rBTS|1\r", // nested BHS
        "MSH|^~\\&|A\rFHS|^~\\&\r", // FHS not first
        "FHS|^~\\&\rFTS|0\rMSH|^~\\&|A\r", // after FTS
        "MSH|^~\\&|A\rBTS|1\r", // BTS without BHS
    ])
    func badStructure(text: String) throws {
        #expect(throws: HL7ParseError.self) { try HL7Batch(parsing: text) }
    }

    @Test func eachMessageKeepsItsOwnDelimiters() throws {
        let text = "MSH|^~\\&|A\rPID|1||X^Y\rMSH$%~\\&$B\rPID$1$$P%Q\r"
        let b = try HL7Batch(parsing: text)
        #expect(b.messages[0]["PID-3.2"].text == "Y")
        #expect(b.messages[1]["PID-3.2"].text == "Q")
        #expect(b.segments[3][3][1][2].rawText == "Q")
    }

    @Test func aBadSecondMessageIsReportedAtItsOffset() throws {
        let text = msg1 + "MSH|^~&|A\rPID|1\r"
        do {
            _ = try HL7Batch(parsing: text)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidDelimiters)
            #expect(error.byteOffset >= msg1.utf8.count)
        }
    }
}
