import HL7
import HL7XML
import SwitchboardDaemon
import Testing

@Suite("ACK summary")
struct AckSummaryTests {
    private let sent = Array("MSH|^~\\&|ADT1|GHH|SWITCHBOARD|CC|20261129083000||ADT^A01^ADT_A01|CTRL-1|P|2.5.1\rPID|1\r".utf8)
    private let stamp = HL7Timestamp(year: 2026, month: 11, day: 29, hour: 9, minute: 0)

    @Test func readsAcceptance() throws {
        let header = try HL7Message(parsing: sent).header
        let ack = try AckSummary(parsing: HL7Acknowledgment.build(for: header, outcome: .accepted, controlID: "A1", timestamp: stamp))
        #expect(ack.code == "AA")
        #expect(ack.controlID == "CTRL-1")
        #expect(ack.isAccept)
        #expect(ack.errors.isEmpty)
    }

    @Test func readsModernERR() throws {
        let header = try HL7Message(parsing: sent).header
        let bytes = HL7Acknowledgment.build(
            for: header, outcome: .error,
            errors: [.init(code: .requiredFieldMissing, location: .init(segmentID: "PID", field: 3), diagnostic: "PID-3 is empty")],
            controlID: "A2", timestamp: stamp)
        let ack = try AckSummary(parsing: bytes)
        #expect(ack.code == "AE")
        #expect(!ack.isAccept)
        #expect(ack.errors == [AckSummary.ErrorEntry(code: "101", text: "Required field missing")])
    }

    @Test func readsLegacyERR1AndMSA3() throws {
        let old = Array("MSH|^~\\&|ADT1|GHH|SWITCHBOARD|CC|20261129083000||ADT^A01|CTRL-1|P|2.3\rPID|1\r".utf8)
        let header = try HL7Message(parsing: old).header
        let bytes = HL7Acknowledgment.build(for: header, outcome: .rejected, errors: [.init(code: .unsupportedMessageType)],
                                            controlID: "A3", timestamp: stamp, textMessage: "not supported here")
        let ack = try AckSummary(parsing: bytes)
        #expect(ack.code == "AR")
        #expect(ack.text == "not supported here")
        #expect(ack.errors.first?.code == "200")
        #expect(ack.errors.first?.text == "Unsupported message type")
    }

    @Test func readsXMLACK() throws {
        let header = try HL7Message(parsing: sent).header
        let er7 = HL7Acknowledgment.build(for: header, outcome: .accepted, controlID: "A4", timestamp: stamp)
        let xml = HL7XMLWriter.document(try HL7Message(parsing: er7))
        let ack = try AckSummary(parsing: xml)
        #expect(ack.code == "AA")
        #expect(ack.controlID == "CTRL-1")
    }

    @Test func refusesResponsesThatAreNotACKs() {
        #expect(throws: AckSummary.ParseError.self) { try AckSummary(parsing: Array("HTTP/1.1 400\r\n".utf8)) }
        #expect(throws: AckSummary.ParseError.self) { try AckSummary(parsing: sent) }
    }

    /// The byte-scan reading agrees with the parse on code, MSA-2 and errors, and defers to the
    /// parse whenever it cannot be sure (ERR present, escapes, XML, LF segment ends, no MSA).
    @Test(arguments: [
        "MSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA|CTRL-1\r",
        "MSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.5.1\nMSA|CA|CTRL-1|fine\n",
        "MSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA\r",
        "MSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA|C\\F\\1\r",
        "MSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.5.1\rMSA|AE|CTRL-1\rERR|||101^Required field missing^HL70357|E\r",
        "MSH#^~\\&#R#R#S#S#20261130##ACK^A01^ACK#A1#P#2.5.1\rMSA#AR#CTRL-1\r",
        "MSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA|CTRL-1^X\r",
        "MSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA|X~1\r",
        "MSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA|X&1\r",
        "MSH|^~\\&#|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.7\rMSA|AA|CTRL-1\r",
    ])
    func theQuickReadingAgreesWithTheParse(text: String) throws {
        let bytes = Array(text.utf8)
        let parsed = try AckSummary(parsing: bytes)
        let quick = try AckSummary.reading(bytes)
        #expect(quick.code == parsed.code)
        #expect(quick.controlID == parsed.controlID)
        #expect(quick.errors == parsed.errors)
    }

    /// Bytes the scan cannot judge go to the parse: Latin-1 in MSA-2 (MSH-18 and the fallback
    /// decide how it reads) and a frame holding two messages.
    @Test func theQuickReadingDefersNonASCIIAndSecondMessagesToTheParse() throws {
        let latin1 = Array("MSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.5.1|||||8859/1\rMSA|AA|CAF".utf8) + [0xE9] + [0x0D]
        let parsed = try AckSummary(parsing: latin1)
        #expect(try AckSummary.reading(latin1).controlID == parsed.controlID)
        #expect(parsed.controlID == "CAF\u{E9}")
        let two = Array("MSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA|C1\rMSH|^~\\&|R|R|S|S|20261130||ACK^A01^ACK|A2|P|2.5.1\rMSA|AA|C2\r".utf8)
        let whole = Result { try AckSummary(parsing: two) }
        let quick = Result { try AckSummary.reading(two) }
        #expect((try? whole.get()) == (try? quick.get()))
    }

    @Test func theQuickReadingRefusesWhatIsNotAnACK() {
        #expect(throws: AckSummary.ParseError.self) { try AckSummary.reading(Array("PID|1\r".utf8)) }
        #expect(throws: AckSummary.ParseError.self) {
            try AckSummary.reading(Array("MSH|^~\\&|R|R|S|S|20261130||ADT^A01|A1|P|2.5.1\rPID|1\r".utf8))
        }
    }
}
