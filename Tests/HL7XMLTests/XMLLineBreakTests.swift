import HL7
import HL7XML
import Testing

/// Line breaks in XML leaf text are data (conformance README: leaf text is taken exactly):
/// the model keeps them, ER7 renderings write them `\X0D\` / `\X0A\`, the writer puts them back.
@Suite("HL7 v2.xml line breaks")
struct XMLLineBreakTests {
    static func document(_ body: String) -> [UInt8] {
        let header = #"<MSH><MSH.1>|</MSH.1><MSH.2>^~\&amp;</MSH.2><MSH.9><MSG.1>ORU</MSG.1><MSG.2>R01</MSG.2></MSH.9><MSH.10>LB1</MSH.10><MSH.12><VID.1>2.5</VID.1></MSH.12></MSH>"#
        return Array("<?xml version=\"1.0\"?>\r\n<ORU_R01 xmlns=\"urn:hl7-org:v2xml\">\r\n  \(header)\r\n  \(body)\r\n</ORU_R01>\r\n".utf8)
    }

    @Test func leafTextKeepsLineBreaksAsXMLDeliversThem() throws {
        // CRLF and a lone CR in the document arrive as LF (XML end-of-line handling); &#13; is a CR.
        let xml = Self.document("<OBX><OBX.1>1</OBX.1><OBX.5><ED.5>QUJD\r\n\t\tREVG\rR0g=&#13;\n</ED.5></OBX.5><OBX.6>x\ny</OBX.6></OBX>")
        let message = try HL7XMLReader.message(xml)
        #expect(message.segments.map(\.id) == ["MSH", "OBX"])
        #expect(message["OBX-5.5"].rawText == "QUJD\n\t\tREVG\nR0g=\r\n")
        #expect(message["OBX-6"].text == "x\ny")
        let tree = String(decoding: HL7CanonicalTree.json(try HL7XMLReader.batch(xml)), as: UTF8.self)
        #expect(tree.contains(#"["QUJD\n\t\tREVG\nR0g=\r\n"]"#))
    }

    @Test func er7FormEscapesThemAndReadsBackToTheSameText() throws {
        let xml = Self.document("<NTE><NTE.3>line 1\nline 2&#13;|</NTE.3></NTE>")
        let er7 = try HL7XMLReader.er7(xml)
        let text = String(decoding: er7, as: UTF8.self)
        #expect(text.hasSuffix(#"NTE|||line 1\X0A\line 2\X0D\\F\"#))
        #expect(text.split(separator: "\r").count == 2)
        let message = try HL7XMLReader.message(xml)
        #expect(message.serialized() == er7)
        #expect(String(decoding: try #require(message.segment("NTE")).rawBytes, as: UTF8.self) == #"NTE|||line 1\X0A\line 2\X0D\\F\"#)
        let reparsed = try HL7Message(parsing: er7)
        #expect(reparsed["NTE-3"].text == message["NTE-3"].text)
        #expect(reparsed["NTE-3"].text == "line 1\nline 2\r|")
    }

    @Test func writerPutsThemBackAsText() throws {
        let xml = Self.document("<NTE><NTE.3>a\nb&#13;c</NTE.3></NTE>")
        let message = try HL7XMLReader.message(xml)
        let written = String(decoding: HL7XMLWriter.document(message), as: UTF8.self)
        #expect(written.contains("<NTE.3>a\nb&#13;c</NTE.3>"))
        let again = try HL7XMLReader.message(Array(written.utf8))
        #expect(again["NTE-3"].rawText == "a\nb\rc")
        // ER7's escapes stay escapes: XML → ER7 → XML writes <escape V="X0A"/>, whose text is
        // the same once decoded.
        let viaER7 = try HL7Message(parsing: message.serialized())
        let escaped = String(decoding: HL7XMLWriter.document(viaER7), as: UTF8.self)
        #expect(escaped.contains(#"<NTE.3>a<escape V="X0A"/>b<escape V="X0D"/>c</NTE.3>"#))
        #expect(try HL7XMLReader.message(Array(escaped.utf8))["NTE-3"].text == "a\nb\rc")
    }

    @Test func whitespaceBetweenElementsIsStillIgnored() throws {
        let xml = Self.document("<PID>\r\n  <PID.5>\r\n    <XPN.1>\r\n      <FN.1>DOE</FN.1>\r\n    </XPN.1>\r\n    <XPN.2>JO</XPN.2>\r\n  </PID.5>\r\n</PID>")
        let message = try HL7XMLReader.message(xml)
        #expect(String(decoding: try #require(message.segment("PID")).rawBytes, as: UTF8.self) == "PID|||||DOE^JO")
        #expect(throws: HL7XMLError.self) { try HL7XMLReader.message(Self.document("<PID><PID.5>\nx<XPN.1>DOE</XPN.1></PID.5></PID>")) }
    }
}
