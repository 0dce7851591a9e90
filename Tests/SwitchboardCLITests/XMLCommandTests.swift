import SwitchboardTestSupport
import Testing

/// `inspect` and `convert` with HL7 v2.xml, through the real executable.
@Suite("switchboard with HL7 v2.xml")
struct XMLCommandTests {
    static let root = SharedConformance.repositoryRoot(testFile: #filePath)


    @Test func convertToXMLAndBack() throws {
        let xml = try runSwitchboard(["convert", "--to", "xml", Self.root + "/samples/siu_s12.hl7"])
        #expect(xml.status == 0)
        #expect(xml.output.contains(#"<SIU_S12 xmlns="urn:hl7-org:v2xml">"#))
        let er7 = try runSwitchboard(["convert", "--to", "er7", "-"], input: xml.stdout)
        #expect(er7.status == 0)
        #expect(er7.output.hasPrefix("MSH|^~\\&|"))
        // Every format reads XML (sniffed from the first non-blank byte).
        let tree = try runSwitchboard(["inspect", "--format", "tree-json", "-"], input: Array("\n  ".utf8) + xml.stdout)
        #expect(tree.status == 0)
        #expect(tree.output.contains("\"message_type\":\"SIU^S12^SIU_S12\""))
        let pretty = try runSwitchboard(["inspect", "-"], input: xml.stdout)
        #expect(pretty.output.contains("SCH"))
    }

    @Test func hostileXMLExitsTwoWithPosition() throws {
        let doctype = "<?xml version=\"1.0\"?>\n<!DOCTYPE ADT_A01 [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<ADT_A01/>"
        let r = try runSwitchboard(["inspect", "-"], input: Array(doctype.utf8))
        #expect(r.status == 2)
        #expect(r.errorOutput.contains("<stdin>:"))
        #expect(r.errorOutput.contains("line 2"))
        #expect(r.errorOutput.contains("DOCTYPE"))
        #expect(r.errorOutput.contains("HL7 error 100"))
        #expect(!r.output.contains("root:"))
    }

    @Test func convertToXMLTakesOneMessage() throws {
        let r = try runSwitchboard(["convert", "--to", "xml", Self.root + "/samples/batch_adt.hl7"])
        #expect(r.status == 2)
        #expect(r.errorOutput.contains("exactly one message"))
    }
}
