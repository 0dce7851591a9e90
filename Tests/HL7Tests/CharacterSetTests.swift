import HL7
import Testing

@Suite("Character sets")
struct CharacterSetTests {
    @Test(arguments: [
        ("UNICODE UTF-8", HL7CharacterSet.utf8), ("ASCII", .ascii), ("8859/1", .iso8859(part: 1)),
        ("8859/15", .iso8859(part: 15)), ("ISO IR100", .iso8859(part: 1)), ("ISO IR101", .iso8859(part: 2)),
        ("iso ir192", .utf8), ("ISO IR6", .ascii),
    ])
    func names(name: String, expected: HL7CharacterSet) {
        #expect(HL7CharacterSet(hl7Name: name) == expected)
    }

    @Test func unknownNames() {
        #expect(HL7CharacterSet(hl7Name: "") == nil)
        #expect(HL7CharacterSet(hl7Name: "8859/10") == nil)
        #expect(HL7CharacterSet(hl7Name: "EBCDIC") == nil)
    }

    func message(_ charset: String, _ value: [UInt8]) throws -> HL7Message {
        try HL7Message(parsing: Array("MSH|^~\\&|A|||||||||||||||\(charset)\rNTE|1||".utf8) + value + [13])
    }

    @Test func latin1AndOtherParts() throws {
        #expect(try message("8859/1", [0x63, 0x61, 0x66, 0xE9])["NTE-3"].text == "café")
        // 0xA3 is Ł in ISO-8859-2 and £ in ISO-8859-1.
        #expect(try message("8859/2", [0xA3])["NTE-3"].text == "Ł")
        #expect(try message("8859/1", [0xA3])["NTE-3"].text == "£")
        #expect(try message("8859/15", [0xA4])["NTE-3"].text == "€")
    }

    @Test func utf8AndFallbacks() throws {
        #expect(try message("UNICODE UTF-8", Array("Zoë 😀".utf8))["NTE-3"].text == "Zoë 😀")
        // Undeclared: UTF-8 when valid, else ISO-8859-1.
        #expect(try message("", Array("Zoë".utf8))["NTE-3"].text == "Zoë")
        #expect(try message("", [0x5A, 0x6F, 0xEB])["NTE-3"].text == "Zoë")
        // ASCII declared but 8-bit bytes present: the fallback decides.
        #expect(try message("ASCII", [0xEB])["NTE-3"].text == "ë")
        let latin1Only = HL7ParseOptions(characterSetFallback: .latin1)
        let m = try HL7Message(parsing: Array("MSH|^~\\&|A\rNTE|1||".utf8) + Array("ë".utf8), options: latin1Only)
        #expect(m["NTE-3"].text == "Ã«")
    }

    @Test func validationRejectsOverlongUTF8AndEightBitASCII() throws {
        let overlong = try message("UNICODE UTF-8", [0xC0, 0xBC])
        #expect(throws: HL7ParseError.self) { try overlong.validateCharacterEncoding() }
        do {
            try overlong.validateCharacterEncoding()
        } catch {
            #expect(error.code == .invalidEncoding)
            #expect(error.hl7ErrorCode == .dataTypeError)
        }
        #expect(throws: HL7ParseError.self) { try message("ASCII", [0xE9]).validateCharacterEncoding() }
        #expect(throws: HL7ParseError.self) { try message("UNICODE UTF-8", [0xED, 0xA0, 0x80]).validateCharacterEncoding() }
        try message("UNICODE UTF-8", Array("ok é".utf8)).validateCharacterEncoding()
        try message("8859/1", [0xE9]).validateCharacterEncoding()
    }

    @Test func encodeRoundTrips() {
        for set in [HL7CharacterSet.iso8859(part: 1), .iso8859(part: 2), .iso8859(part: 15), .utf8] {
            let text = set == .iso8859(part: 2) ? "Łódź" : (set == .iso8859(part: 15) ? "€5 café" : "café")
            let bytes = set.encode(text)
            #expect(bytes.withUnsafeBufferPointer { set.decode($0) } == text)
        }
        #expect(HL7CharacterSet.ascii.encode("é") == [UInt8(ascii: "?")])
    }
}

@Suite("Header peek")
struct HeaderPeekTests {
    @Test func peekReadsABrokenMessage() throws {
        let bytes = Array("MSH|^~\\&|APP|FAC|RCV|RFAC|20261129||ADT^A01|CTRL-9|P|2.3|||AL|NE||8859/1\rP\u{1}D|broken\rgarbage".utf8)
        #expect(throws: HL7ParseError.self) { try HL7Message(parsing: bytes) }
        let h = try #require(HL7HeaderPeek.peek(bytes))
        #expect(h.controlID == "CTRL-9")
        #expect(h.sendingApplication == "APP")
        #expect(h.receivingFacility == "RFAC")
        #expect(h.messageType == "ADT^A01")
        #expect(h.version == "2.3")
        #expect(h.acceptAcknowledgmentType == "AL")
        #expect(h.applicationAcknowledgmentType == "NE")
        #expect(h.characterSetName == "8859/1")
    }

    @Test func peekSalvagesBadEncodingCharacters() throws {
        let h = try #require(HL7HeaderPeek.peek(Array("MSH|^~&|APP|FAC|||||ADT^A01|C1|P|2.5".utf8)))
        #expect(h.controlID == "C1")
        #expect(h.sendingApplication == "APP")
        let short = try #require(HL7HeaderPeek.peek(Array("\u{FEFF}\nMSH|^|A|B||||||X|ID7".utf8)))
        #expect(short.controlID == "X")
        #expect(short.processingID == "ID7")
    }

    @Test func peekFindsMSHAfterBatchHeaders() throws {
        let h = try #require(HL7HeaderPeek.peek(Array("FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|A||||||ADT^A04|77".utf8)))
        #expect(h.controlID == "77")
    }

    @Test(arguments: ["", "PID|1", "MSHX", "MSH", "\u{0}\u{1}\u{2}", "<xml/>"])
    func nothingToPeek(text: String) {
        #expect(HL7HeaderPeek.peek(Array(text.utf8)) == nil)
    }
}
