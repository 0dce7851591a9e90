import Foundation
import HL7
import HL7XML
import Testing

/// One model, two encodings: ER7 → XML → ER7 keeps every value of every ER7 conformance message
/// (trailing empties aside), and XML → ER7 → XML → tree keeps the XML conformance messages.
@Suite("XML round trips")
struct XMLRoundTripTests {
    @Test func er7CorpusSurvivesXML() {
        let files = XMLTestSupport.files("corpus/er7", suffix: ".hl7")
        guard !files.isEmpty else { return }
        var messages = 0, failures: [String] = []
        for path in files {
            guard let batch = try? HL7Batch(parsing: XMLTestSupport.read(path)) else { continue }
            for message in batch.messages {
                messages += 1
                let xml = HL7XMLWriter.document(message)
                do {
                    let back = try HL7XMLReader.message(xml)
                    let want = XMLTestSupport.normalized(XMLTestSupport.tree(message.segments))
                    let got = XMLTestSupport.normalized(XMLTestSupport.tree(back.segments))
                    if want != got {
                        let diff = zip(want, got).first { $0.0 != $0.1 }
                        failures.append("\((path as NSString).lastPathComponent): \(diff.map { "\($0.0) vs \($0.1)" } ?? "segment count \(want.count) vs \(got.count)")")
                    }
                } catch {
                    failures.append("\((path as NSString).lastPathComponent): \(error)")
                }
            }
        }
        print(#"{"test":"er7-xml-er7","messages":\#(messages),"failed":\#(failures.count)}"#)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func xmlCorpusSurvivesER7() {
        let files = XMLTestSupport.files("corpus/xml", suffix: ".xml")
        guard !files.isEmpty else { return }
        var failures: [String] = []
        for path in files {
            do {
                let first = try HL7XMLReader.message(XMLTestSupport.read(path))
                let again = try HL7XMLReader.message(HL7XMLWriter.document(first))
                let want = XMLTestSupport.normalized(XMLTestSupport.tree(first.segments))
                let got = XMLTestSupport.normalized(XMLTestSupport.tree(again.segments))
                if want != got { failures.append((path as NSString).lastPathComponent) }
            } catch {
                failures.append("\((path as NSString).lastPathComponent): \(error)")
            }
        }
        print(#"{"test":"xml-er7-xml","files":\#(files.count),"failed":\#(failures.count)}"#)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func writerOutputIsWellFormedAndNamespaced() throws {
        let message = try HL7Message(parsing: "MSH|^~\\&|A|B|C|D|20260101||ADT^A01^ADT_A01|X1|P|2.5.1\rPID|1||M1^^^H&1.2&ISO^MR||DOE^JO\\S\\E||||||||||||||||||||||||||||||\rZPI|a^b&c~\\.br\\\r")
        let xml = String(decoding: HL7XMLWriter.document(message), as: UTF8.self)
        #expect(xml.contains(#"<ADT_A01 xmlns="urn:hl7-org:v2xml">"#))
        #expect(xml.contains("<PID.5><XPN.1><FN.1>DOE</FN.1></XPN.1><XPN.2>JO^E</XPN.2></PID.5>"))
        #expect(xml.contains("<ZPI.1><varies.1>a</varies.1><varies.2><varies.1>b</varies.1><varies.2>c</varies.2></varies.2></ZPI.1><ZPI.1><escape V=\".br\"/></ZPI.1>"))
        let back = try HL7XMLReader.message(Array(xml.utf8))
        #expect(back.segment("PID")?[5].rawText == "DOE^JO\\S\\E")
        #expect(back.segment("ZPI")?[1].rawText == "a^b&c~\\.br\\")
    }

    @Test func writerPlacesSegmentsInTheirGroups() throws {
        let siu = try HL7Message(parsing: "MSH|^~\\&|A|B|C|D|20260101||SIU^S12^SIU_S12|X2|P|2.5.1\rSCH|1\rPID|1\rPV1|1\rRGS|1\rAIS|1\rNTE|1|L|svc note\rAIP|1\rAIL|1\r")
        let xml = String(decoding: HL7XMLWriter.document(siu), as: UTF8.self)
        #expect(xml.contains("<SIU_S12.PATIENT><PID>"))
        #expect(xml.contains("<SIU_S12.RESOURCES><RGS>"))
        #expect(xml.contains("<SIU_S12.SERVICE><AIS><AIS.1>1</AIS.1></AIS>\n<NTE>"))
        #expect(xml.contains("<SIU_S12.LOCATION_RESOURCE><AIL>"))
        let back = try HL7XMLReader.message(Array(xml.utf8))
        #expect(back.segments.map(\.id) == siu.segments.map(\.id))
        // An event sharing a structure (A04 → ADT_A01) and a Z segment the structure lacks
        // (segments then go directly under the root).
        let a04 = try HL7Message(parsing: "MSH|^~\\&|A|B|C|D|20260101||ADT^A04|X3|P|2.5.1\rEVN|A04\rPID|1\rPV1|1\rIN1|1\rIN2|1\r")
        let a04xml = String(decoding: HL7XMLWriter.document(a04), as: UTF8.self)
        #expect(a04xml.contains(#"<ADT_A01 xmlns="urn:hl7-org:v2xml">"#))
        #expect(a04xml.contains("<ADT_A01.INSURANCE><IN1>"))
        let z = try HL7Message(parsing: "MSH|^~\\&|A|B|C|D|20260101||ADT^A01^ADT_A01|X4|P|2.5.1\rEVN|A01\rPID|1\rZPI|1\rPV1|1\rIN1|1\r")
        let flat = String(decoding: HL7XMLWriter.document(z), as: UTF8.self)
        #expect(!flat.contains("ADT_A01.INSURANCE"))
        #expect(flat.contains("<ZPI><ZPI.1>1</ZPI.1></ZPI>"))
    }
}
