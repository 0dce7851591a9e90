// HL7 and HL7XML are compiled as one module for the fuzzer (scripts/fuzz.sh).
#if canImport(HL7)
import HL7
#endif
internal import CLibXML2

/// The one place Switchboard touches libxml2: a SAX2 (streaming, event) parse of an in-memory
/// document with the hardened settings (TESTPLAN "Security expectations"), feeding ``XMLToER7``
/// through a pooled ``XMLParseSession``.
///
/// * Options `NONET | NOERROR | NOWARNING` only (never `NOENT`, `DTDLOAD`, `DTDVALID`, `HUGE`;
///   `NO_XXE` too on libxml2 >= 2.13), applied again for every document: entities are never
///   substituted, no DTD is loaded, and libxml2's own limits (depth 256, 10 MB text, entity
///   amplification) stay on.
/// * A DOCTYPE stops the parse at `<!DOCTYPE name`, before its internal subset is read: no entity
///   is ever declared, so none can be expanded (XXE, billion laughs, quadratic blowup).
/// * A deny-all external entity loader is installed once per process before the first parse,
///   so no `file://` or `http://` resource is ever opened, whatever the document says.
/// * No tree is built: memory is the mapper's current segment, the message being built and
///   libxml2's input buffer. (SAX rather than the xmlTextReader pull API: about twice the
///   throughput on this machine.)
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

    /// Parses `bytes` with a pooled session and hands the session (its mapper holding the
    /// message) to `body`.
    static func parse<Result>(_ bytes: UnsafeBufferPointer<UInt8>, options: HL7XMLOptions,
                              _ body: (XMLParseSession) throws(HL7XMLError) -> Result) throws(HL7XMLError) -> Result {
        _ = installOnce
        return try XMLParserPool.withSession { session throws(HL7XMLError) in
            try session.parse(bytes, options: options)
            return try body(session)
        }
    }

    /// Calls `body` with the parse's session without retaining it (the pool owns it).
    @inline(__always)
    static func withSession(_ p: UnsafeMutableRawPointer?, _ body: (XMLParseSession) -> Void) {
        Unmanaged<XMLParseSession>.fromOpaque(p!)._withUnsafeGuaranteedRef(body)
    }

    static func buffer(_ p: UnsafePointer<xmlChar>?) -> UnsafeBufferPointer<UInt8> {
        guard let p else { return UnsafeBufferPointer(start: nil, count: 0) }
        var n = 0
        while p[n] != 0 { n += 1 }
        return UnsafeBufferPointer(start: p, count: n)
    }

    /// The SAX2 callbacks: elements, text, CDATA; DOCTYPE and entity references refused.
    /// (Built per session: a C struct of function pointers is not `Sendable`, so no global.)
    static func makeHandler() -> xmlSAXHandler {
        var h = xmlSAXHandler()
        h.initialized = 0xDEEDBEAF   // XML_SAX2_MAGIC: use the namespace-aware callbacks
        h.startElementNs = { ctx, localname, _, uri, _, _, attributeCount, _, attributes in
            XMLSAXParser.withSession(ctx) {
                $0.startElement(localname, uri: uri, attributeCount: attributeCount, attributes: attributes)
            }
        }
        h.endElementNs = { ctx, _, _, _ in
            XMLSAXParser.withSession(ctx) { $0.endElement() }
        }
        h.characters = { ctx, chars, len in
            XMLSAXParser.withSession(ctx) { $0.characters(UnsafeBufferPointer(start: chars, count: Int(len))) }
        }
        h.ignorableWhitespace = h.characters
        h.cdataBlock = h.characters
        h.internalSubset = { ctx, _, _, _ in
            XMLSAXParser.withSession(ctx) { $0.fail(HL7XMLError(.forbiddenConstruct, "a DOCTYPE is not accepted (no DTDs, no entities)")) }
        }
        h.externalSubset = h.internalSubset
        h.reference = { ctx, _ in
            XMLSAXParser.withSession(ctx) { $0.fail(HL7XMLError(.forbiddenConstruct, "entity references are not accepted")) }
        }
        h.serror = { ctx, error in
            guard let ctx, let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
            XMLSAXParser.withSession(ctx) { session in
                guard !session.failed else { return }
                var text = error.pointee.message.map { String(cString: $0) } ?? "XML error \(error.pointee.code)"
                while text.last == "\n" || text.last == " " { text.removeLast() }
                session.fail(HL7XMLError(.notWellFormed, text, line: Int(error.pointee.line)))
            }
        }
        return h
    }
}
