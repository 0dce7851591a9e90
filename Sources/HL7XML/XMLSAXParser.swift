internal import CLibXML2

/// The one place Switchboard touches libxml2: a SAX2 (streaming, event) parse of an in-memory
/// document with the hardened settings (TESTPLAN "Security expectations"), feeding ``XMLToER7``.
///
/// * Options `NONET | NOERROR | NOWARNING` only (never `NOENT`, `DTDLOAD`, `DTDVALID`, `HUGE`;
///   `NO_XXE` too on libxml2 >= 2.13): entities are never substituted, no DTD is loaded, and
///   libxml2's own limits (depth 256, 10 MB text, entity amplification) stay on.
/// * A DOCTYPE stops the parse at `<!DOCTYPE name`, before its internal subset is read: no entity
///   is ever declared, so none can be expanded (XXE, billion laughs, quadratic blowup).
/// * A deny-all external entity loader is installed once per process before the first parse,
///   so no `file://` or `http://` resource is ever opened, whatever the document says.
/// * No tree is built: memory is the mapper's current segment plus libxml2's input buffer.
///   (SAX rather than the xmlTextReader pull API: about twice the throughput on this machine.)
enum XMLSAXParser {
    /// The namespace HL7 v2.xml documents use.
    static let hl7Namespace: [UInt8] = Array("urn:hl7-org:v2xml".utf8)
    static let escapeName: [UInt8] = Array("escape".utf8)
    static let valueAttribute: [UInt8] = Array("V".utf8)

    /// Installs the deny-all loader exactly once (Swift initialises globals lazily and atomically).
    private static let installOnce: Bool = {
        switchboard_xml_install_deny_loader()
        return true
    }()

    /// Per-parse state reachable from the C callbacks through `ctxt->userData`.
    final class Context {
        /// Only the C callbacks of one synchronous parse touch it: no dynamic exclusivity checks.
        @exclusivity(unchecked) var mapper: XMLToER7
        var error: HL7XMLError?
        /// `error != nil`, as a cheap flag for the hot callbacks.
        var failed = false
        var parser: xmlParserCtxtPtr?
        /// The last namespace URI pointer found to be HL7's (libxml2 interns names per document).
        var acceptedNamespace: UnsafePointer<xmlChar>?

        /// True for no namespace or `urn:hl7-org:v2xml`.
        func isHL7Namespace(_ uri: UnsafePointer<xmlChar>?) -> Bool {
            guard let uri else { return true }
            if uri == acceptedNamespace { return true }
            guard XMLSAXParser.buffer(uri).elementsEqual(XMLSAXParser.hl7Namespace) else { return false }
            acceptedNamespace = uri
            return true
        }

        init(options: HL7XMLOptions) {
            mapper = XMLToER7(options: options)
        }

        /// Records the first failure with its position and stops libxml2.
        func fail(_ e: HL7XMLError) {
            guard !failed else { return }
            failed = true
            var located = e
            if let parser {
                if located.line == nil, let input = parser.pointee.input { located.line = Int(input.pointee.line) }
                if located.byteOffset == nil { located.byteOffset = Int(xmlByteConsumed(parser)) }
                xmlStopParser(parser)
            }
            error = located
        }

        func run(_ body: (inout XMLToER7) throws(HL7XMLError) -> Void) {
            guard !failed else { return }
            do throws(HL7XMLError) { try body(&mapper) } catch { fail(error) }
        }
    }

    /// Calls `body` with the parse's context without retaining it (the parse owns it).
    static func withContext(_ p: UnsafeMutableRawPointer?, _ body: (Context) -> Void) {
        Unmanaged<Context>.fromOpaque(p!)._withUnsafeGuaranteedRef(body)
    }

    static func buffer(_ p: UnsafePointer<xmlChar>?) -> UnsafeBufferPointer<UInt8> {
        guard let p else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: p, count: strlen(p))
    }

    static func strlen(_ p: UnsafePointer<xmlChar>) -> Int {
        var n = 0
        while p[n] != 0 { n += 1 }
        return n
    }

    /// The SAX2 callbacks: elements, text, CDATA; DOCTYPE and entity references refused.
    /// (Built per parse: a C struct of function pointers is not `Sendable`, so no global.)
    static func makeHandler() -> xmlSAXHandler {
        var h = xmlSAXHandler()
        h.initialized = 0xDEEDBEAF   // XML_SAX2_MAGIC: use the namespace-aware callbacks
        h.startElementNs = { ctx, localname, _, uri, _, _, attributeCount, _, attributes in
          XMLSAXParser.withContext(ctx) { c in
            let name = XMLSAXParser.buffer(localname)
            let inNamespace = c.isHL7Namespace(uri)
            var escapeValue: [UInt8]?
            let isEscape = name.count == 6 && name.elementsEqual(XMLSAXParser.escapeName)
            if isEscape, let attributes {
                // 5 pointers per attribute: localname, prefix, URI, value start, value end.
                for k in 0..<Int(attributeCount) {
                    guard XMLSAXParser.buffer(attributes[5 * k]).elementsEqual(XMLSAXParser.valueAttribute),
                          let start = attributes[5 * k + 3], let end = attributes[5 * k + 4] else { continue }
                    escapeValue = Array(UnsafeBufferPointer(start: start, count: end - start))
                }
            }
            c.run { m throws(HL7XMLError) in
                guard inNamespace else {
                    throw HL7XMLError(.notHL7, "element <\(XMLToER7.string(name))> is not in the HL7 v2.xml namespace (urn:hl7-org:v2xml)")
                }
                if isEscape { try m.startEscape(escapeValue) } else { try m.start(name) }
            }
          }
        }
        h.endElementNs = { ctx, _, _, _ in
            XMLSAXParser.withContext(ctx) { $0.run { m throws(HL7XMLError) in try m.end() } }
        }
        h.characters = { ctx, chars, len in
            let text = UnsafeBufferPointer(start: chars, count: Int(len))
            XMLSAXParser.withContext(ctx) { $0.run { m throws(HL7XMLError) in try m.text(text) } }
        }
        h.ignorableWhitespace = h.characters
        h.cdataBlock = h.characters
        h.internalSubset = { ctx, _, _, _ in
            XMLSAXParser.withContext(ctx) { $0.fail(HL7XMLError(.forbiddenConstruct, "a DOCTYPE is not accepted (no DTDs, no entities)")) }
        }
        h.externalSubset = h.internalSubset
        h.reference = { ctx, _ in
            XMLSAXParser.withContext(ctx) { $0.fail(HL7XMLError(.forbiddenConstruct, "entity references are not accepted")) }
        }
        h.serror = { ctx, error in
            guard let ctx, let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
            XMLSAXParser.withContext(ctx) { c in
                guard !c.failed else { return }
                var text = error.pointee.message.map { String(cString: $0) } ?? "XML error \(error.pointee.code)"
                while text.last == "\n" || text.last == " " { text.removeLast() }
                c.fail(HL7XMLError(.notWellFormed, text, line: Int(error.pointee.line)))
            }
        }
        return h
    }

    /// Parses `bytes` and returns the equivalent ER7 bytes.
    static func er7(_ bytes: UnsafeBufferPointer<UInt8>, options: HL7XMLOptions) throws(HL7XMLError) -> [UInt8] {
        _ = installOnce
        guard let base = bytes.baseAddress, bytes.count <= Int(Int32.max) else {
            throw HL7XMLError(.tooLarge, "the document cannot be handed to libxml2")
        }
        let ptr = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
        guard let parser = xmlCreateMemoryParserCtxt(ptr, Int32(bytes.count)) else {
            throw HL7XMLError(.notWellFormed, "libxml2 could not open the document")
        }
        defer { xmlFreeParserCtxt(parser) }
        let context = Context(options: options)
        context.parser = parser
        parser.pointee.sax.pointee = makeHandler()
        parser.pointee.userData = Unmanaged.passUnretained(context).toOpaque()
        _ = xmlCtxtUseOptions(parser, switchboard_xml_parse_options())
        let status = withExtendedLifetime(context) { xmlParseDocument(parser) }
        if let doc = parser.pointee.myDoc { xmlFreeDoc(doc); parser.pointee.myDoc = nil }
        if let error = context.error { throw error }
        guard status == 0, parser.pointee.wellFormed != 0 else {
            throw HL7XMLError(.notWellFormed, "the document is not well-formed XML", byteOffset: Int(xmlByteConsumed(parser)))
        }
        do throws(HL7XMLError) {
            try context.mapper.finish()
        } catch {
            context.fail(error)
            throw context.error ?? error
        }
        context.mapper.encodeInDeclaredCharacterSet()
        return context.mapper.out
    }
}
