// HL7 and HL7XML are compiled as one module for the fuzzer (scripts/fuzz.sh).
#if canImport(HL7)
public import HL7
#endif

/// Reads HL7 v2.xml into the `HL7` model: one model, two encodings.
///
/// The document is streamed through libxml2's SAX2 parser (never a DOM) and mapped onto the
/// equivalent ER7 message, indexed as it is written (``HL7MessageBuilder``): every accessor, the
/// canonical tree and ACKs work the same for both encodings. Leaf text is taken exactly, line
/// breaks included; where the message is rendered as ER7 they become `\X0D\` / `\X0A\`.
/// Hostile documents (XXE, billion laughs, DOCTYPEs, deep nesting, oversized input) are refused
/// with an ``HL7XMLError``; see docs/ARCHITECTURE.md, "HL7XML".
public enum HL7XMLReader {
    /// The ER7 wire text (CR-terminated segments, no final CR) equivalent to an HL7 v2.xml
    /// document; line breaks inside values are written `\X0D\` / `\X0A\`.
    public static func er7(_ xml: [UInt8], options: HL7XMLOptions = .default) throws(HL7XMLError) -> [UInt8] {
        try parse(xml, options: options) { session throws(HL7XMLError) in
            session.mapper.builder.serialized()
        }
    }

    /// Parses an HL7 v2.xml document into a message.
    public static func message(_ xml: [UInt8], options: HL7XMLOptions = .default) throws(HL7XMLError) -> HL7Message {
        try parse(xml, options: options) { session throws(HL7XMLError) in
            do throws(HL7ParseError) {
                return try session.mapper.builder.message(options: options.er7)
            } catch {
                throw HL7XMLError(.invalidMessage, "the equivalent ER7 message is invalid: \(error.code): \(error.descriptionWithoutOffset)", parseError: error)
            }
        }
    }

    /// Parses an HL7 v2.xml document into a one-message batch (what `inspect` and `convert` use).
    public static func batch(_ xml: [UInt8], options: HL7XMLOptions = .default) throws(HL7XMLError) -> HL7Batch {
        HL7Batch(try message(xml, options: options))
    }

    /// Checks the limits, skips white space before the document, and parses.
    static func parse<Parsed>(_ xml: [UInt8], options: HL7XMLOptions,
                              _ body: (XMLParseSession) throws(HL7XMLError) -> Parsed) throws(HL7XMLError) -> Parsed {
        guard xml.count <= options.maxDocumentBytes else {
            throw HL7XMLError(.tooLarge, "the document has \(xml.count) bytes, more than the maximum of \(options.maxDocumentBytes)")
        }
        guard !xml.isEmpty else { throw HL7XMLError(.notHL7, "the document is empty") }
        // White space before `<?xml` is not XML, but it is what files and pipes often carry and
        // the sniffing accepts it: skip it (error offsets then count from the first `<`).
        var skip = 0
        while skip < xml.count, xml[skip] == 0x20 || xml[skip] == 0x09 || xml[skip] == 0x0A || xml[skip] == 0x0D { skip += 1 }
        guard skip < xml.count else { throw HL7XMLError(.notHL7, "the document is empty") }
        let result: Result<Parsed, HL7XMLError> = xml.withUnsafeBufferPointer { whole in
            do throws(HL7XMLError) {
                return .success(try XMLSAXParser.parse(UnsafeBufferPointer(rebasing: whole[skip...]), options: options, body))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// True when `bytes` look like XML: the first byte that is not white space, after an
    /// optional UTF-8 byte-order mark, is `<`. (ER7 starts with a segment id.)
    @inlinable public static func looksLikeXML(_ bytes: some Collection<UInt8>) -> Bool {
        var rest = bytes[...]
        if rest.starts(with: [0xEF, 0xBB, 0xBF]) { rest = rest.dropFirst(3) }
        return rest.first { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) } == 0x3C
    }
}
