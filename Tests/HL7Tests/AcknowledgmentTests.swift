import Foundation
@testable import HL7
import SwitchboardTestSupport
import Testing

@Suite("ACK builder")
struct AcknowledgmentTests {
    let ts = HL7Timestamp("20261129083005-0500")!

    func ack(_ inbound: String, _ outcome: HL7Acknowledgment.Outcome, errors: [HL7Acknowledgment.ErrorDetail] = [],
             mode: HL7Acknowledgment.Mode? = nil) throws -> HL7Message {
        let header = HL7HeaderPeek.peek(Array(inbound.utf8))
        let bytes = HL7Acknowledgment.build(for: header, outcome: outcome, mode: mode, errors: errors, controlID: "ACK-1",
                                            timestamp: ts, textMessage: "see ERR")
        return try HL7Message(parsing: bytes)
    }

    @Test func originalModeAAMirrorsTheHeader() throws {
        let a = try ack("MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20261129||ADT^A01^ADT_A01|C-42|T|2.5.1\r", .accepted)
        let h = a.header
        #expect(h.sendingApplication == "RECVAPP")
        #expect(h.sendingFacility == "RECVFAC")
        #expect(h.receivingApplication == "SENDAPP")
        #expect(h.receivingFacility == "SENDFAC")
        #expect(h.messageType == "ACK^A01^ACK")
        #expect(h.controlID == "ACK-1")
        #expect(h.processingID == "T")
        #expect(h.version == "2.5.1")
        #expect(h.dateTime == "20261129083005-0500")
        #expect(a["MSA-1"].text == "AA")
        #expect(a["MSA-2"].text == "C-42")
        #expect(a.segment("ERR") == nil)
        #expect(a.serialized().last == 13)
    }

    @Test func enhancedModeFollowsMSH15() throws {
        let inbound = "MSH|^~\\&|S|F|R|RF|20261129||ADT^A01|C1|P|2.5|||AL|NE\r"
        #expect(try ack(inbound, .accepted)["MSA-1"].text == "CA")
        #expect(try ack(inbound, .error)["MSA-1"].text == "CE")
        #expect(try ack(inbound, .rejected)["MSA-1"].text == "CR")
        #expect(try ack(inbound, .rejected, mode: .original)["MSA-1"].text == "AR")
    }

    @Test func errLayoutFromV25() throws {
        let err = HL7Acknowledgment.ErrorDetail(code: .tableValueNotFound, location: .init(HL7Path("PID-8")), diagnostic: "PID-8 'Q' not in table 0001")
        let a = try ack("MSH|^~\\&|S|F|R|RF|20261129||ADT^A01|C1|P|2.5.1\r", .error, errors: [err])
        #expect(a["MSA-1"].text == "AE")
        #expect(a["MSA-3"].isEmpty, "MSA-3 is deprecated from 2.5")
        let e = try #require(a.segment("ERR"))
        #expect(e[1].isEmpty)
        #expect(e[2].rawText == "PID^1^8")
        #expect(e[3].rawText == "103^Table value not found^HL70357")
        #expect(e[4].text == "E")
        #expect(e[7].text == "PID-8 'Q' not in table 0001")
    }

    @Test func errLayoutBeforeV25() throws {
        let err = HL7Acknowledgment.ErrorDetail(code: .requiredFieldMissing, location: .init(segmentID: "PID", field: 3))
        let a = try ack("MSH|^~\\&|S|F|R|RF|20261129||ADT^A01|C1|P|2.3\r", .error, errors: [err])
        #expect(a.header.messageType == "ACK^A01")
        #expect(a["MSA-3"].text == "see ERR")
        let e = try #require(a.segment("ERR"))
        #expect(e[1].rawText == "PID^1^3^101&Required field missing&HL70357")
        #expect(e.fieldCount == 1)
        let noLocation = try ack("MSH|^~\\&|S|F|R|RF|20261129||ADT^A01|C1|P|2.4\r", .rejected,
                                 errors: [.init(code: .unsupportedMessageType)])
        #expect(noLocation.segment("ERR")![1].rawText == "^^^200&Unsupported message type&HL70357")
    }

    @Test func ackForUnparseableInputHasNoHeader() throws {
        let bytes = HL7Acknowledgment.build(for: nil, outcome: .rejected, errors: [.init(code: .segmentSequenceError)],
                                            controlID: "ACK-2", timestamp: ts)
        let a = try HL7Message(parsing: bytes)
        #expect(a["MSA-1"].text == "AR")
        #expect(a["MSA-2"].isEmpty)
        #expect(a.header.version == "2.5.1")
        #expect(a.segment("ERR")![3].component(1).text == "100")
    }

    @Test func ackUsesTheSendersDelimitersAndEscapes() throws {
        let a = try ack("MSH$%~\\&$S%X$F$R$RF$20261129$$ADT%A01$C|1$P$2.5.1\r", .accepted)
        #expect(a.delimiters.field == UInt8(ascii: "$"))
        #expect(a["MSA-2"].text == "C|1")
        #expect(a.header.receivingApplication == "S^X")
    }

    @Test func msa2EchoesMSH10ByteForByte() throws {
        // An 8-bit control id under a declared ASCII set: decoding and re-encoding would lose it.
        let inbound: [UInt8] = Array("MSH|^~\\&|S|F|R|RF|20261129||ADT^A01|C".utf8) + [0xE9] + Array("\\T\\1|P|2.5||||||ASCII\r".utf8)
        let header = try #require(HL7HeaderPeek.peek(inbound))
        let bytes = HL7Acknowledgment.build(for: header, outcome: .accepted, controlID: "A", timestamp: ts)
        let msa = try #require(try HL7Message(parsing: bytes).segment("MSA"))
        #expect(Array(msa[2].rawBytes) == [0x43, 0xE9, 0x5C, 0x54, 0x5C, 0x31])
    }

    @Test func acceptAcknowledgmentConditions() throws {
        func header(_ msh15: String) -> HL7Header {
            HL7HeaderPeek.peek(Array("MSH|^~\\&|S|F|R|RF|20261129||ADT^A01|C1|P|2.5|||\(msh15)".utf8))!
        }
        #expect(header("AL").wantsAcceptAcknowledgment(for: .accepted))
        #expect(!header("NE").wantsAcceptAcknowledgment(for: .rejected))
        #expect(!header("ER").wantsAcceptAcknowledgment(for: .accepted))
        #expect(header("ER").wantsAcceptAcknowledgment(for: .error))
        #expect(header("SU").wantsAcceptAcknowledgment(for: .accepted))
        #expect(!header("SU").wantsAcceptAcknowledgment(for: .rejected))
        #expect(header("").wantsAcceptAcknowledgment(for: .accepted))
        #expect(HL7HeaderPeek.peek(Array("MSH|^~\\&|S|F|R|RF|1||ACK^A01|C1|P|2.5".utf8))!.isAcknowledgment)
    }
}

@Suite("ACK fast path")
struct AcknowledgmentFastPathTests {
    /// The fast path (usable header, no ERR) writes exactly what the general path writes, for
    /// every sample and conformance message, outcome, mode and a few awkward control ids.
    @Test func fastPathEqualsTheGeneralPath() throws {
        var headers: [HL7Header] = []
        let root = SharedConformance.repositoryRoot(testFile: #filePath)
        var paths = ["adt_a01", "adt_a03", "adt_a08", "siu_s12", "ref_i12"].map { "\(root)/samples/\($0).hl7" }
        if let corpus = SharedConformance.directory(repositoryRoot: root) {
            let names = try FileManager.default.contentsOfDirectory(atPath: corpus + "/corpus/er7").sorted()
            paths += names.map { corpus + "/corpus/er7/" + $0 }
        }
        for path in paths {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            if let header = HL7HeaderPeek.peek(bytes) { headers.append(header) }
        }
        #expect(headers.count >= 5)
        // Odd versions decide the MSH-9 structure component and MSA-3: the fast path must agree.
        for version in ["", "2", "2.3", "2.3.1", "2.4", "2.5", "+1.0", "2.5.", " 2.5", "99999999999999999999", "2.x", "3.0.0.1"] {
            headers.append(HL7HeaderPeek.peek(Array("MSH|^~\\&|A|B|C|D|20261129||ADT^A01|X|P|\(version)\r".utf8))!)
        }
        let stamp = HL7Timestamp(year: 2026, month: 11, day: 29, hour: 8, minute: 30, second: 0, fractionDigits: "123", utcOffsetMinutes: 0)
        let stamps = [stamp, HL7Timestamp("20261129083000-0000")!, HL7Timestamp("202611290830+0100")!, HL7Timestamp("2026")!]
        var compared = 0
        for header in headers where HL7Acknowledgment.usable(header.delimiters) {
            for outcome in [HL7Acknowledgment.Outcome.accepted, .error, .rejected] {
                for mode in [HL7Acknowledgment.Mode.original, .enhanced] {
                    for (id, stamp) in zip(["SB1-1", "ID^WITH|DELIMS\\&~", "ÜNÏ", "SB2-2"], stamps) {
                        let fast = HL7Acknowledgment.buildWithoutErrors(for: header, code: outcome.code(mode), controlID: id,
                                                                        timestamp: stamp, textMessage: "text")
                        let general = HL7Acknowledgment.buildGeneral(for: header, outcome: outcome, mode: mode, errors: [],
                                                                     controlID: id, timestamp: stamp, textMessage: "text")
                        #expect(fast == general, "\(header.messageType) \(header.version)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 0)
    }
}
