import Foundation
import HL7
import Testing

@Suite("ER7 parsing")
struct ParserTests {
    static let adt = "MSH|^~\\&|SEND|FAC|RECV|RFAC|20261129083000||ADT^A01^ADT_A01|CTRL1|P|2.5.1\rEVN|A01\rPID|1||MRN1^^^GHH^MR~X2||DOE^JANE^Q||19700101|F\rPV1|1|I|4WEST^12^B\r"

    @Test func segmentsFieldsAndHL7Numbering() throws {
        let m = try HL7Message(parsing: Self.adt)
        #expect(m.segmentCount == 4)
        #expect(m.segments.map(\.id) == ["MSH", "EVN", "PID", "PV1"])
        #expect(m["MSH-1"].rawText == "|")
        #expect(m["MSH-2"].rawText == "^~\\&")
        #expect(m["MSH-3"].text == "SEND")
        #expect(m["MSH-9.2"].text == "A01")
        #expect(m["MSH-9"].rawText == "ADT^A01^ADT_A01")
        #expect(m["MSH-10"].text == "CTRL1")
        #expect(m["PID-3.1"].text == "MRN1")
        #expect(m["PID-3[2].1"].text == "X2")
        #expect(m["PID-3.4"].text == "GHH")
        #expect(m["PID-5.2"].text == "JANE")
        #expect(m["PV1-3.2"].text == "12")
        #expect(m["PID-3"].count == 2)
        #expect(m.msh.fieldCount == 12)
        #expect(m.segment("PID")!.fieldCount == 8)
        #expect(m["PID-30"].isEmpty)
        #expect(m.value(at: "ZZZ-1") == nil)
    }

    @Test(arguments: ["\r", "\n", "\r\n", "\n\r\n"])
    func everyTerminatorGivesTheSameTree(terminator: String) throws {
        let text = Self.adt.replacingOccurrences(of: "\r", with: terminator)
        let m = try HL7Message(parsing: text)
        #expect(m.segments.map(\.id) == ["MSH", "EVN", "PID", "PV1"])
        #expect(m["PV1-3.3"].text == "B")
        #expect(m.serialized(normalizingTerminators: true) == Array(Self.adt.utf8))
        #expect(m.serialized() == Array(text.utf8))
    }

    @Test func mixedTerminatorsBlankLinesBOMAndNoFinalTerminator() throws {
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
        bytes += Array("\r\n  \rMSH|^~\\&|A|B\r\n\r\nPID|1\n \t\nPV1|1|O".utf8)
        let m = try HL7Message(parsing: bytes)
        #expect(m.segments.map(\.id) == ["MSH", "PID", "PV1"])
        #expect(m["PV1-2"].text == "O")
        #expect(m.serialized() == bytes)
        #expect(m.serialized(normalizingTerminators: true) == Array("MSH|^~\\&|A|B\rPID|1\rPV1|1|O\r".utf8))
    }

    @Test func nonStandardDelimitersAndTruncationCharacter() throws {
        let m = try HL7Message(parsing: "MSH$%~\\&$APP$FAC\rPID$$$555%%AUTH$$EVE%E~ALIAS%A\r")
        #expect(m.delimiters.field == UInt8(ascii: "$"))
        #expect(m.delimiters.component == UInt8(ascii: "%"))
        #expect(m["PID-3.1"].text == "555")
        #expect(m["PID-3.3"].text == "AUTH")
        #expect(m["PID-5[2].2"].text == "A")
        let t = try HL7Message(parsing: "MSH|^~\\&#|A||||||RSP^K22|1|P|2.7\rQPD|X#Y\r")
        #expect(t.delimiters.truncation == UInt8(ascii: "#"))
        #expect(t["MSH-2"].rawText == "^~\\&#")
        #expect(t["QPD-1"].text == "X#Y", "the truncation character does not split")
    }

    @Test func trailingDelimitersAreKept() throws {
        let m = try HL7Message(parsing: "MSH|^~\\&|A\rPID|1||X^^~|\r")
        let pid = m.segment("PID")!
        #expect(pid.fieldCount == 4)
        #expect(pid[3].count == 2)
        #expect(pid[3][1].count == 3)
        #expect(pid[4].isEmpty)
    }

    @Test func nullValue() throws {
        let m = try HL7Message(parsing: "MSH|^~\\&|A\rPID|1|\"\"\r")
        #expect(m["PID-2"].isNull)
        #expect(!m["PID-1"].isNull)
    }

    @Test func segmentWithoutFieldsAndZSegments() throws {
        let m = try HL7Message(parsing: "MSH|^~\\&|A\rPD1\rZPI|custom^data\r")
        #expect(m.segments.map(\.id) == ["MSH", "PD1", "ZPI"])
        #expect(m.segment("PD1")!.fieldCount == 0)
        #expect(m["ZPI-1.2"].text == "data")
    }

    @Test func occurrencesOfRepeatedSegments() throws {
        let m = try HL7Message(parsing: "MSH|^~\\&|A\rOBX|1|NM|A\rOBX|2|NM|B\rOBX|3|NM|C\r")
        #expect(m["OBX[2]-3"].text == "B")
        #expect(m["OBX[3]-1"].text == "3")
        #expect(m.segments(named: "OBX").count == 3)
        #expect(m.value(at: "OBX[4]-1") == nil)
    }

    @Test func headerOfTheMessage() throws {
        let m = try HL7Message(parsing: "MSH|^~\\&|APP^1.2&x^ISO|FAC|R|RF|20261129||SIU^S12^SIU_S12|C9|T|2.4|||AL|ER||8859/1\r")
        let h = m.header
        #expect(h.messageType == "SIU^S12^SIU_S12")
        #expect(h.controlID == "C9")
        #expect(h.processingID == "T")
        #expect(h.version == "2.4")
        #expect(h.versionNumbers == [2, 4])
        #expect(h.acceptAcknowledgmentType == "AL")
        #expect(h.usesEnhancedAcknowledgment)
        #expect(h.characterSet == .iso8859(part: 1))
        #expect(h.sendingApplication == "APP^1.2&x^ISO")
        #expect(m.characterSet == .iso8859(part: 1))
    }
}

@Suite("ER7 parse errors")
struct ParseErrorTests {
    func error(_ text: String) -> HL7ParseError? {
        do {
            _ = try HL7Message(parsing: text)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingHeaderNamesOffset() throws {
        let e = try #require(error("\r\nPID|1||X\r"))
        #expect(e.code == .missingHeader)
        #expect(e.byteOffset == 2)
        #expect(e.offendingBytes.starts(with: Array("PID".utf8)))
        #expect(e.hl7ErrorCode == .segmentSequenceError)
    }

    @Test(arguments: [
        ("MSH|^~\\|A\r", 4), // three encoding characters
        ("MSH|^~\\&#$|A\r", 4), // six
        ("MSH|^^\\&|A\r", 5), // repeated
        ("MSH||A\r", 4), // empty MSH-2
        ("MSHA^~\\&A\r", 3), // letter as field separator
        ("MSH\r", 3), // no field separator at all
        ("MSH|^~\\ |A\r", 7), // space
    ])
    func invalidDelimiters(text: String, offset: Int) throws {
        let e = try #require(error(text))
        #expect(e.code == .invalidDelimiters)
        #expect(e.byteOffset == offset)
        #expect(e.hl7ErrorCode == .dataTypeError)
    }

    @Test(arguments: ["PI|1", "|1|2", "ZÄÖ|1", "pid|1", "1ID|1", "PIDX|1"])
    func invalidSegmentIDs(segment: String) throws {
        let e = try #require(error("MSH|^~\\&|A\r" + segment + "\r"))
        #expect(e.code == .invalidSegmentID)
        #expect(e.segmentIndex == 1)
        #expect(e.byteOffset == 11)
    }

    @Test func lenientSegmentIDsOnRequest() throws {
        let m = try HL7Message(parsing: "MSH|^~\\&|A\rPIDX|1\r", options: HL7ParseOptions(strictSegmentIDs: false))
        #expect(m.segments[1].id == "PIDX")
    }

    @Test func twoMessagesAreNotOne() throws {
        let e = try #require(error("MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\rPID|2\r"))
        #expect(e.code == .multipleMessages)
        #expect(e.segmentIndex == 2)
        let batch = try HL7Batch(parsing: "MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\rPID|2\r")
        #expect(batch.messages.count == 2)
        #expect(batch.messages[1]["MSH-3"].text == "B")
    }

    @Test func segmentLimit() throws {
        let text = "MSH|^~\\&|A\r" + String(repeating: "NTE|1\r", count: 20)
        #expect(throws: HL7ParseError.self) { try HL7Message(parsing: text, options: HL7ParseOptions(maxSegments: 10)) }
        #expect(try HL7Message(parsing: text, options: HL7ParseOptions(maxSegments: 21)).segmentCount == 21)
    }

    @Test func emptyInput() throws {
        #expect(error("")?.code == .empty)
        #expect(error(" \r\n\t")?.code == .empty)
    }

    @Test func descriptionNamesThePosition() throws {
        let e = try #require(error("MSH|^~\\&|A\rP\u{1}D|1\r"))
        #expect(e.description.contains("byte offset 11"))
        #expect(e.description.contains("segment 2"))
        #expect(e.description.contains("\\x01"))
    }
}
