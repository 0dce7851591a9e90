// libFuzzer target: arbitrary bytes through the HL7 v2.xml reader (libxml2 streaming reader,
// the XML → ER7 mapping, the ER7 parser), then the writer and the reader again. Must never trap,
// hang or leak; a document the reader accepted must survive model → XML → model.
// Build and run: scripts/fuzz.sh XMLMapper 60
// (libxml2 itself is not instrumented: coverage guidance comes from the Swift code only.)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXMLMapper(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = HL7XMLReader.looksLikeXML(bytes)
    guard let message = try? HL7XMLReader.message(bytes) else { return 0 }
    let batch = try? HL7XMLReader.batch(bytes)
    precondition(batch != nil, "message accepted but batch refused")
    _ = HL7CanonicalTree.json(batch!)
    let xml = HL7XMLWriter.document(message)
    let large = HL7XMLOptions(maxDocumentBytes: 64 << 20, maxValueBytes: 64 << 20)
    do {
        let again = try HL7XMLReader.message(xml, options: large)
        precondition(again.segmentCount == message.segmentCount, "segment count changed in the XML round trip")
    } catch {
        preconditionFailure("writer output refused by the reader: \(error)")
    }
    return 0
}
