internal import CLibXML2

/// The one place Switchboard touches libxml2: a pull reader over an in-memory document with the
/// hardened settings (TESTPLAN "Security expectations").
///
/// * Options `NONET | NOERROR | NOWARNING` only (never `NOENT`, `DTDLOAD`, `DTDVALID`, `HUGE`;
///   `NO_XXE` too on libxml2 >= 2.13): entities are never substituted, no DTD is loaded, and
///   libxml2's own limits (depth 256, 10 MB text, entity amplification) stay on.
/// * A deny-all external entity loader is installed once per process before the first parse,
///   so no `file://` or `http://` resource is ever opened, whatever the document says.
/// * The streaming reader keeps memory proportional to the current node, not the document.
/// Callers reject DOCTYPE and entity nodes (``XMLToER7``).
final class XMLStreamReader {
    /// The kinds of node the mapper distinguishes (libxml2's `xmlReaderTypes`).
    enum NodeType: Int32 {
        case element = 1, text = 3, cdata = 4, entityReference = 5, entity = 6, processingInstruction = 7
        case comment = 8, document = 9, documentType = 10, documentFragment = 11, notation = 12
        case whitespace = 13, significantWhitespace = 14, endElement = 15, endEntity = 16, xmlDeclaration = 17
    }

    /// The namespace HL7 v2.xml documents use.
    static let hl7Namespace: [UInt8] = Array("urn:hl7-org:v2xml".utf8)

    private let reader: xmlTextReaderPtr
    private let errors: ErrorSink

    /// Collects the first libxml2 error (message and line) through the structured handler.
    final class ErrorSink {
        var message: String?
        var line: Int?
    }

    /// Installs the deny-all loader exactly once (Swift initialises globals lazily and atomically).
    private static let installOnce: Bool = {
        switchboard_xml_install_deny_loader()
        return true
    }()

    /// Opens a reader over `buffer`, which must stay valid until the reader is released.
    init?(_ buffer: UnsafeBufferPointer<UInt8>) {
        _ = XMLStreamReader.installOnce
        guard let base = buffer.baseAddress, buffer.count <= Int(Int32.max) else { return nil }
        let ptr = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
        guard let r = xmlReaderForMemory(ptr, Int32(buffer.count), nil, nil, switchboard_xml_parse_options()) else {
            return nil
        }
        reader = r
        errors = ErrorSink()
        let handler: xmlStructuredErrorFunc = { context, error in
            guard let context, let error else { return }
            let sink = Unmanaged<ErrorSink>.fromOpaque(context).takeUnretainedValue()
            guard sink.message == nil else { return }
            var text = error.pointee.message.map { String(cString: $0) } ?? "XML error \(error.pointee.code)"
            while text.last == "\n" || text.last == " " { text.removeLast() }
            sink.message = text
            sink.line = Int(error.pointee.line)
        }
        xmlTextReaderSetStructuredErrorHandler(reader, handler, Unmanaged.passUnretained(errors).toOpaque())
    }

    deinit {
        xmlFreeTextReader(reader)
    }

    /// Advances to the next node: true when there is one, false at the end of the document.
    /// Throws when libxml2 reports an error (not well-formed, its own limits).
    func read() throws(HL7XMLError) -> Bool {
        let status = xmlTextReaderRead(reader)
        if status == 1 { return true }
        if status == 0, errors.message == nil { return false }
        throw HL7XMLError(.notWellFormed, errors.message ?? "the XML parser failed",
                          line: errors.line ?? line, byteOffset: byteOffset)
    }

    /// The current node's type (`nil` for kinds the mapper never sees).
    var nodeType: NodeType? { NodeType(rawValue: xmlTextReaderNodeType(reader)) }

    /// True for `<x/>`: no end-element node follows.
    var isEmptyElement: Bool { xmlTextReaderIsEmptyElement(reader) == 1 }

    /// The current node's local name (no prefix), borrowed from libxml2's dictionary.
    var localName: UnsafeBufferPointer<UInt8> { Self.buffer(xmlTextReaderConstLocalName(reader)) }

    /// True when the current element is in no namespace or in `urn:hl7-org:v2xml`.
    var isInHL7Namespace: Bool {
        guard let uri = xmlTextReaderConstNamespaceUri(reader) else { return true }
        return Self.buffer(uri).elementsEqual(Self.hl7Namespace)
    }

    /// The current text node's value, borrowed until the next ``read()``.
    var value: UnsafeBufferPointer<UInt8> { Self.buffer(xmlTextReaderConstValue(reader)) }

    /// The value of attribute `name` of the current element (copied), or `nil`.
    func attribute(_ name: String) -> [UInt8]? {
        let raw: UnsafeMutablePointer<xmlChar>? = name.withCString { n in
            n.withMemoryRebound(to: xmlChar.self, capacity: name.utf8.count + 1) { xmlTextReaderGetAttribute(reader, $0) }
        }
        guard let raw else { return nil }
        defer { switchboard_xml_free(raw) }
        return Array(Self.buffer(UnsafePointer(raw)))
    }

    /// The current line (1-based) as libxml2 counts it.
    var line: Int { Int(xmlTextReaderGetParserLineNumber(reader)) }

    /// Bytes of the document libxml2 has consumed so far (an upper bound of the position).
    var byteOffset: Int { Int(xmlTextReaderByteConsumed(reader)) }

    static func buffer(_ p: UnsafePointer<xmlChar>?) -> UnsafeBufferPointer<UInt8> {
        guard let p else { return UnsafeBufferPointer(start: nil, count: 0) }
        var n = 0
        while p[n] != 0 { n += 1 }
        return UnsafeBufferPointer(start: p, count: n)
    }
}
