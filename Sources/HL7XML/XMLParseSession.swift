// HL7 and HL7XML are compiled as one module for the fuzzer (scripts/fuzz.sh).
#if canImport(HL7)
import HL7
#endif
internal import CLibXML2

/// One libxml2 parser context with the mapper its SAX callbacks drive. Sessions are pooled
/// (``XMLParserPool``): a context, its name dictionary and stacks, and the mapper's buffers
/// serve document after document instead of being built and freed for each 5 KB message.
///
/// `@unchecked Sendable`: a session is used by one parse at a time (the pool hands it to one
/// caller, who gives it back when done); libxml2 contexts may move between threads between
/// parses.
final class XMLParseSession: @unchecked Sendable {
    let parser: xmlParserCtxtPtr
    /// Only the C callbacks of one synchronous parse touch it: no dynamic exclusivity checks.
    @exclusivity(unchecked) var mapper = XMLToER7()
    private(set) var error: HL7XMLError?
    /// `error != nil`, as a cheap flag for the hot callbacks.
    private(set) var failed = false
    /// The namespace URI pointer last found to be HL7's: libxml2 interns names in the context's
    /// dictionary, which lives as long as the session, so one pointer compare usually does.
    private var acceptedNamespace: UnsafePointer<xmlChar>?

    init() throws(HL7XMLError) {
        guard let parser = xmlNewParserCtxt() else {
            throw HL7XMLError(.notWellFormed, "libxml2 could not create a parser context")
        }
        self.parser = parser
        parser.pointee.sax.pointee = XMLSAXParser.makeHandler()
        parser.pointee.userData = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        xmlFreeParserCtxt(parser)
    }

    /// Parses one document into ``mapper`` (whose builder then holds the message).
    func parse(_ bytes: UnsafeBufferPointer<UInt8>, options: HL7XMLOptions) throws(HL7XMLError) {
        guard let base = bytes.baseAddress, bytes.count <= Int(Int32.max) else {
            throw HL7XMLError(.tooLarge, "the document cannot be handed to libxml2")
        }
        error = nil
        failed = false
        mapper.reset(options: options)
        // Resets the context (keeping its dictionary and SAX handler), applies the hardened
        // options and parses; our handler builds no tree, so no document comes back.
        let doc = xmlCtxtReadMemory(parser, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(bytes.count),
                                    nil, nil, switchboard_xml_parse_options())
        if let doc { xmlFreeDoc(doc) }
        if let error { throw error }
        guard parser.pointee.wellFormed != 0 else {
            throw HL7XMLError(.notWellFormed, "the document is not well-formed XML", byteOffset: Int(xmlByteConsumed(parser)))
        }
        do throws(HL7XMLError) {
            try mapper.finish()
        } catch {
            fail(error)
            throw self.error ?? error
        }
    }

    /// True when the session is worth keeping for another parse: the last one succeeded and
    /// neither libxml2's name dictionary nor the mapper's buffers grew large (1 MiB) (a hostile stream
    /// of made-up element names must not grow a pooled dictionary without bound).
    var isReusable: Bool {
        !failed && xmlDictSize(parser.pointee.dict) <= 4_096 && mapper.reservedBytes <= 1 << 20
    }

    /// Records the first failure with its position and stops libxml2.
    func fail(_ e: HL7XMLError) {
        guard !failed else { return }
        failed = true
        var located = e
        if located.line == nil, let input = parser.pointee.input { located.line = Int(input.pointee.line) }
        if located.byteOffset == nil { located.byteOffset = Int(xmlByteConsumed(parser)) }
        xmlStopParser(parser)
        error = located
    }

    // MARK: SAX events

    func startElement(_ localname: UnsafePointer<xmlChar>?, uri: UnsafePointer<xmlChar>?, attributeCount: Int32,
                      attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        guard !failed else { return }
        do throws(HL7XMLError) {
            let name = XMLSAXParser.buffer(localname)
            guard isHL7Namespace(uri) else {
                throw HL7XMLError(.notHL7, "element <\(XMLElementNames.string(name))> is not in the HL7 v2.xml namespace (urn:hl7-org:v2xml)")
            }
            if name.count == 6, name.elementsEqual(XMLSAXParser.escapeName) {
                try mapper.startEscape(Self.valueAttribute(attributeCount, attributes))
            } else {
                try mapper.start(name)
            }
        } catch {
            fail(error)
        }
    }

    func endElement() {
        guard !failed else { return }
        do throws(HL7XMLError) { try mapper.end() } catch { fail(error) }
    }

    func characters(_ text: UnsafeBufferPointer<UInt8>) {
        guard !failed else { return }
        do throws(HL7XMLError) { try mapper.text(text) } catch { fail(error) }
    }

    /// True for no namespace or `urn:hl7-org:v2xml`.
    private func isHL7Namespace(_ uri: UnsafePointer<xmlChar>?) -> Bool {
        guard let uri else { return true }
        if uri == acceptedNamespace { return true }
        guard XMLSAXParser.buffer(uri).elementsEqual(XMLSAXParser.hl7Namespace) else { return false }
        // Remember only pointers the dictionary owns: they stay valid, and unique, for its life.
        if xmlDictOwns(parser.pointee.dict, uri) == 1 { acceptedNamespace = uri }
        return true
    }

    /// The `V` attribute's value (5 pointers per attribute: localname, prefix, URI, value
    /// start, value end).
    private static func valueAttribute(_ count: Int32, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) -> UnsafeBufferPointer<UInt8>? {
        guard let attributes else { return nil }
        var value: UnsafeBufferPointer<UInt8>?
        for k in 0..<Int(count) {
            guard XMLSAXParser.buffer(attributes[5 * k]).elementsEqual(XMLSAXParser.valueAttribute),
                  let start = attributes[5 * k + 3], let end = attributes[5 * k + 4] else { continue }
            value = UnsafeBufferPointer(start: start, count: end - start)
        }
        return value
    }
}
