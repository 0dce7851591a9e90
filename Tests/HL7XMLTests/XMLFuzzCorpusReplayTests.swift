import Foundation
import HL7
import HL7XML
import SwitchboardTestSupport
import Testing

/// Replays `Fuzz/corpus/XMLMapper` through the checks of `Fuzz/XMLMapper.swift`, on every test
/// run: a document the reader accepts must survive model → XML → model.
@Suite("XML fuzz corpus replay")
struct XMLFuzzCorpusReplayTests {
    @Test func xmlMapperCorpus() throws {
        let dir = XMLTestSupport.root + "/Fuzz/corpus/XMLMapper"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(!names.isEmpty)
        let large = HL7XMLOptions(maxDocumentBytes: 64 << 20, maxValueBytes: 64 << 20)
        var accepted = 0
        for name in names {
            let bytes = XMLTestSupport.read(dir + "/" + name)
            guard let message = try? HL7XMLReader.message(bytes) else { continue }
            accepted += 1
            _ = HL7CanonicalTree.json(try HL7XMLReader.batch(bytes))
            let again = try HL7XMLReader.message(HL7XMLWriter.document(message), options: large)
            #expect(again.segmentCount == message.segmentCount, "\(name)")
        }
        print(#"{"test":"fuzz-replay-xml","inputs":\#(names.count),"accepted":\#(accepted)}"#)
    }
}
