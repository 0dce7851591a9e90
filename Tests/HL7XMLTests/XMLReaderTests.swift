import HL7
import HL7XML
import Testing

/// The XML → model mapping rules of ../shared/conformance/README.md ("XML messages"), on small
/// synthetic documents.
@Suite("HL7 v2.xml reader")
struct XMLReaderTests {
    static let header = #"<MSH><MSH.1>|</MSH.1><MSH.2>^~\&amp;</MSH.2><MSH.9><MSG.1>ADT</MSG.1><MSG.2>A01</MSG.2></MSH.9><MSH.10>SYN1</MSH.10><MSH.12><VID.1>2.5.1</VID.1></MSH.12></MSH>"#

    static func er7(_ body: String, root: String = "ADT_A01", ns: String = #" xmlns="urn:hl7-org:v2xml""#) throws(HL7XMLError) -> String {
        let xml = "<?xml version=\"1.0\"?>\n<\(root)\(ns)>\n  \(header)\n  \(body)\n</\(root)>"
        return String(decoding: try HL7XMLReader.er7(Array(xml.utf8)), as: UTF8.self)
    }

    @Test func mapsFieldsRepetitionsComponentsAndSubcomponents() throws {
        let text = try Self.er7("""
            <ADT_A01.PATIENT><PID><PID.1>1</PID.1>
              <PID.3><CX.1>MRN1</CX.1><CX.4><HD.1>GHH</HD.1><HD.3>ISO</HD.3></CX.4></PID.3>
              <PID.3><CX.1>MRN2</CX.1></PID.3>
              <PID.5><XPN.1><FN.1>SYNTHETIC</FN.1></XPN.1><XPN.2>ALEX</XPN.2></PID.5>
            </PID></ADT_A01.PATIENT>
            """)
        #expect(text.hasSuffix("\rPID|1||MRN1^^^GHH&&ISO~MRN2||SYNTHETIC^ALEX"))
    }

    @Test func escapesDelimitersAndEscapeElements() throws {
        let text = try Self.er7(#"<NTE><NTE.3>a|b^c&amp;d~e\f<escape V=".br"/>g</NTE.3></NTE>"#)
        #expect(text.hasSuffix(#"NTE|||a\F\b\S\c\T\d\R\e\E\f\.br\g"#))
    }

    @Test func keepsLeafTextExactlyAndIgnoresWhitespaceBetweenElements() throws {
        let text = try Self.er7("<NTE>\n <NTE.3>  two spaces  </NTE.3>\n <NTE.4>\n <CE.1> x</CE.1>\n </NTE.4></NTE>")
        #expect(text.hasSuffix("NTE|||  two spaces  | x"))
    }

    @Test func acceptsNoNamespaceAndPrefixes() throws {
        _ = try Self.er7("<PID><PID.1>1</PID.1></PID>", ns: "")
        let prefixed = #"<v:ACK xmlns:v="urn:hl7-org:v2xml"><v:MSH><v:MSH.1>|</v:MSH.1><v:MSH.2>^~\&amp;</v:MSH.2><v:MSH.10>X</v:MSH.10></v:MSH><v:MSA><v:MSA.1>AA</v:MSA.1></v:MSA></v:ACK>"#
        let message = try HL7XMLReader.message(Array(prefixed.utf8))
        #expect(message.segment("MSA")?[1].text == "AA")
    }

    @Test func refusesForeignNamespaceAndUnknownElements() {
        #expect(throws: HL7XMLError.self) { try Self.er7("<PID/>", ns: #" xmlns="urn:example""#) }
        do {
            _ = try Self.er7("<PID><FOO>bar</FOO></PID>")
            Issue.record("accepted <FOO> inside PID")
        } catch {
            #expect(error.code == .unexpectedElement)
            #expect(error.hl7ErrorCode.code == 102)
        }
    }

    @Test func sniffsXML() {
        #expect(HL7XMLReader.looksLikeXML(Array("\u{FEFF}  \n<ADT_A01/>".utf8)))
        #expect(!HL7XMLReader.looksLikeXML(Array("MSH|^~\\&|".utf8)))
    }
}
