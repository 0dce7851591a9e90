import Foundation
import HL7
import HL7XML
import SwitchboardTestSupport
import Testing

/// Parser contexts and the mapper's buffers are pooled: a parse must not see anything of the
/// one before it (failed or not), and concurrent parses must not share one.
@Suite("HL7 v2.xml parser reuse")
struct XMLParserReuseTests {
    static let documents: [[UInt8]] = SyntheticMessages.mixedCorpus(count: 40, seed: 5).map {
        HL7XMLWriter.document(try! HL7Message(parsing: $0))
    }

    static let hostile: [[UInt8]] = [
        Array(#"<ADT_A01 xmlns="urn:hl7-org:v2xml"><MSH><MSH.1>|</MSH.1><MSH.2>^~\&amp;</MSH.2><MSH.10>X</MSH.10></MSH><PID><PID.3><CX.1>M1"#.utf8),
        Array("<?xml version=\"1.0\"?><!DOCTYPE ADT_A01 [<!ENTITY x \"y\">]><ADT_A01>&x;</ADT_A01>".utf8),
        Array(#"<ADT_A01 xmlns="urn:hl7-org:v2xml"><MSH><MSH.1>|</MSH.1><MSH.10>X</MSH.10></MSH><PID><FOO>1</FOO></PID></ADT_A01>"#.utf8),
        Array(#"<ADT_A01 xmlns="urn:example"><MSH/></ADT_A01>"#.utf8),
    ]

    static func tree(_ xml: [UInt8]) throws -> [UInt8] {
        HL7CanonicalTree.json(try HL7XMLReader.batch(xml))
    }

    @Test func parsesAfterFailuresAreUnaffected() throws {
        let expected = try Self.documents.map { try Self.tree($0) }
        for round in 0..<3 {
            for (k, document) in Self.documents.enumerated() {
                let bad = Self.hostile[(k + round) % Self.hostile.count]
                #expect(throws: HL7XMLError.self) { try HL7XMLReader.message(bad) }
                #expect(try Self.tree(document) == expected[k])
                #expect(try HL7XMLReader.er7(document) == HL7XMLReader.message(document).serialized())
            }
        }
    }

    @Test func concurrentParsesGetTheirOwnSession() async throws {
        let expected = try Self.documents.map { try Self.tree($0) }
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var bad = 0
                    for pass in 0..<10 {
                        for k in Self.documents.indices where (k + worker + pass) % 3 != 0 {
                            if (try? Self.tree(Self.documents[k])) != expected[k] { bad += 1 }
                            if k % 7 == 0 { _ = try? HL7XMLReader.message(Self.hostile[k % Self.hostile.count]) }
                        }
                    }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    /// The index the mapper records is the one the ER7 scanner finds in the same bytes.
    @Test func indexEqualsTheScannersOnTheER7Form() throws {
        for document in Self.documents {
            let message = try HL7XMLReader.message(document)
            let rescanned = try HL7Message(parsing: message.bytes)
            for (a, b) in zip(message.segments, rescanned.segments) {
                #expect(a.fieldCount == b.fieldCount)
                for n in stride(from: 1, through: a.fieldCount, by: 1) { #expect(a[n].byteRange == b[n].byteRange) }
            }
            #expect(message.segmentCount == rescanned.segmentCount)
        }
    }

    @Test func declaredCharacterSetStillApplies() throws {
        let latin1 = #"<ADT_A01 xmlns="urn:hl7-org:v2xml"><MSH><MSH.1>|</MSH.1><MSH.2>^~\&amp;</MSH.2><MSH.10>X</MSH.10><MSH.18>8859/1</MSH.18></MSH><PID><PID.5><XPN.1><FN.1>MÜLLER</FN.1></XPN.1><XPN.2>Zoë</XPN.2></PID.5></PID></ADT_A01>"#
        let message = try HL7XMLReader.message(Array(latin1.utf8))
        #expect(message.bytes.contains(0xDC))
        #expect(message["PID-5.1"].text == "MÜLLER")
        #expect(message["PID-5.2"].text == "Zoë")
        let omega = latin1.replacingOccurrences(of: "Zoë", with: "Ω")
        let utf8 = try HL7XMLReader.message(Array(omega.utf8))
        // Ω does not fit 8859/1: the whole message stays UTF-8 (Ü as C3 9C), as before pooling.
        #expect(utf8.bytes.contains(0xC3) && !utf8.bytes.contains(0xDC))
    }
}
