// HL7 and HL7XML are compiled as one module for the fuzzer (scripts/fuzz.sh).
#if canImport(HL7)
public import HL7
#endif

/// Writes an `HL7` message as a well-formed HL7 v2.xml document (namespace `urn:hl7-org:v2xml`).
///
/// * The root element is the message structure: MSH-9.3, else MSH-9.1`_`MSH-9.2 (mapped to its
///   structure: `ADT_A04` → `ADT_A01`), else MSH-9.1 (`ACK`); `MSG_UNKNOWN` when none of those is
///   a valid structure name.
/// * For the structures in ``HL7XMLDictionary`` (ADT_A01, ADT_A03, SIU_S12, REF_I12, RRI_I12, ACK
///   and the events that share them) segments are placed in their group elements
///   (`<ADT_A01.INSURANCE>`); otherwise, or when the segments do not fit the structure, they are
///   written directly under the root (readers treat groups as transparent, so nothing is lost).
/// * `<SEG.n>` per field repetition; components `<TYPE.k>` and subcomponents `<CTYPE.j>` named
///   from ``HL7XMLDictionary``, with the generic `varies` for anything it does not know.
///   Composite values are always wrapped (`<PID.3><CX.1>…</CX.1></PID.3>`); primitive values with
///   a single part are text. Empty positions are left out; trailing empties cannot be expressed.
/// * Escape sequences: `\F\ \S\ \T\ \R\ \E\ \P\` become the literal delimiter character, every
///   other complete sequence (`\.br\`, `\H\`, `\X0D\`…) becomes `<escape V="…"/>`, so reading the
///   document back gives the original wire text. Two lossy cases, documented: a lone escape
///   character (no closing one) is written as text and reads back as `\E\`; a control character
///   XML 1.0 cannot carry is written as `<escape V="Xhh"/>`.
/// * Line breaks a value holds (a message read from HL7 v2.xml keeps those of its text) are
///   written as text, CR as `&#13;`, so they read back unchanged.
public enum HL7XMLWriter {
    /// The HL7 v2.xml namespace.
    public static let namespace = "urn:hl7-org:v2xml"

    /// The message as an HL7 v2.xml document, UTF-8.
    public static func document(_ message: HL7Message) -> [UInt8] {
        var out = XMLOutput()
        out.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        let root = rootName(message)
        out.raw("<" + root + " xmlns=\"" + namespace + "\">\n")
        let segments = message.segments
        if let steps = MessageStructureMatcher.steps(ids: segments.map(\.id), structure: root) {
            var open: [String] = []
            for step in steps {
                switch step {
                case .open(let name): out.raw("<" + name + ">"); open.append(name)
                case .segment(let i): write(segments[i], into: &out)
                case .close: out.raw("</" + open.removeLast() + ">\n")
                }
            }
        } else {
            for segment in segments {
                write(segment, into: &out)
            }
        }
        out.raw("</" + root + ">\n")
        return out.bytes
    }

    /// The root element name for a message (see the type's documentation).
    public static func rootName(_ message: HL7Message) -> String {
        let type = message.msh.field(9)
        let code = type.component(1).rawText, event = type.component(2).rawText, structure = type.component(3).rawText
        let candidates = [structure, code.isEmpty || event.isEmpty ? "" : code + "_" + event, code]
        for candidate in candidates where !candidate.isEmpty {
            let bytes = Array(candidate.utf8)
            if bytes.withUnsafeBufferPointer({ XMLElementNames.isMessageName($0) }) {
                return HL7XMLDictionary.structureAliases[candidate] ?? candidate
            }
        }
        return "MSG_UNKNOWN"
    }

    static func write(_ segment: HL7Segment, into out: inout XMLOutput) {
        let id = segment.id
        out.raw("<" + id + ">")
        let delimiters = segment.delimiters
        for n in stride(from: 1, through: segment.fieldCount, by: 1) {
            let field = segment.field(n)
            let name = id + "." + String(n)
            if segment.isHeader && n <= 2 {
                out.raw("<" + name + ">")
                out.text(field.rawText)
                out.raw("</" + name + ">")
                continue
            }
            if field.isEmpty { continue }
            let type = HL7XMLDictionary.fieldType(segment: id, field: n) ?? HL7XMLDictionary.genericType
            for repetition in field.children {
                writeRepetition(repetition, name: name, type: type, delimiters: delimiters, into: &out)
            }
        }
        out.raw("</" + id + ">\n")
    }

    static func writeRepetition(_ repetition: HL7Value, name: String, type: String, delimiters: HL7Delimiters, into out: inout XMLOutput) {
        let components = repetition.children
        let composite = HL7XMLDictionary.isComposite(type)
        if !composite && components.count == 1 && components[0].count == 1 {
            out.element(name) { $0.leaf(repetition.rawText, delimiters) }
            return
        }
        let componentTypeName = composite ? type : HL7XMLDictionary.genericType
        out.element(name) { out in
            for (k, component) in components.enumerated() where !component.isEmpty {
                let componentName = componentTypeName + "." + String(k + 1)
                let subtype = composite ? (HL7XMLDictionary.componentType(of: type, component: k + 1) ?? HL7XMLDictionary.genericType)
                                        : HL7XMLDictionary.genericType
                let subs = component.children
                let subComposite = HL7XMLDictionary.isComposite(subtype)
                if subs.count == 1 && !subComposite {
                    out.element(componentName) { $0.leaf(component.rawText, delimiters) }
                    continue
                }
                let subName = subComposite ? subtype : HL7XMLDictionary.genericType
                out.element(componentName) { out in
                    for (j, sub) in subs.enumerated() where !sub.isEmpty {
                        out.element(subName + "." + String(j + 1)) { $0.leaf(sub.rawText, delimiters) }
                    }
                }
            }
        }
    }
}

/// A UTF-8 XML byte buffer with text and attribute escaping.
struct XMLOutput {
    var bytes: [UInt8] = []

    mutating func raw(_ s: String) { bytes += s.utf8 }

    mutating func element(_ name: String, _ body: (inout XMLOutput) -> Void) {
        raw("<" + name + ">")
        body(&self)
        raw("</" + name + ">")
    }

    /// Character data: `& < >` escaped, CR as `&#13;` (a raw CR would read back as LF: XML's
    /// end-of-line rule), tab and LF as they are; characters XML 1.0 cannot carry as
    /// `<escape V="Xhh"/>`.
    mutating func text(_ s: String) { escaped(s, inAttribute: false) }

    /// An attribute value (in double quotes): `& < > "` escaped, control characters as `&#n;`.
    mutating func attribute(_ s: String) { escaped(s, inAttribute: true) }

    private mutating func escaped(_ s: String, inAttribute: Bool) {
        for b in s.utf8 {
            switch b {
            case 0x26: raw("&amp;")
            case 0x3C: raw("&lt;")
            case 0x3E: raw("&gt;")
            case 0x22 where inAttribute: raw("&quot;")
            case 0x09 where !inAttribute, 0x0A where !inAttribute: bytes.append(b)
            case 0x0D where !inAttribute: raw("&#13;")
            case 0..<0x20: raw(inAttribute ? "&#" + String(b) + ";" : "<escape V=\"X" + Self.hex(b) + "\"/>")
            default: bytes.append(b)
            }
        }
    }

    /// A leaf's wire text: delimiter escapes become the characters, other escape sequences
    /// `<escape V="…"/>` (see ``HL7XMLWriter``).
    mutating func leaf(_ wire: String, _ d: HL7Delimiters) {
        let u = Array(wire.utf8)
        let esc = d.escape
        var i = 0
        var pending: [UInt8] = []
        func flush(_ out: inout XMLOutput) {
            if !pending.isEmpty { out.text(String(decoding: pending, as: UTF8.self)); pending.removeAll() }
        }
        while i < u.count {
            let b = u[i]
            guard b == esc, let close = u[(i + 1)...].firstIndex(of: esc) else {
                pending.append(b)
                i += 1
                continue
            }
            let body = u[(i + 1)..<close]
            if body.count == 1 {
                switch body.first! {
                case 0x46: pending.append(d.field); i = close + 1; continue           // F
                case 0x53: pending.append(d.component); i = close + 1; continue       // S
                case 0x54: pending.append(d.subcomponent); i = close + 1; continue    // T
                case 0x52: pending.append(d.repetition); i = close + 1; continue      // R
                case 0x45: pending.append(d.escape); i = close + 1; continue          // E
                case 0x50 where d.truncation != nil: pending.append(d.truncation!); i = close + 1; continue // P
                default: break
                }
            }
            if body.isEmpty {
                // "\\": two escape characters with nothing between: text (reads back as \E\\E\).
                pending.append(b)
                i += 1
                continue
            }
            flush(&self)
            raw("<escape V=\"")
            attribute(String(decoding: body, as: UTF8.self))
            raw("\"/>")
            i = close + 1
        }
        flush(&self)
    }

    static func hex(_ b: UInt8) -> String {
        let h = String(b, radix: 16, uppercase: true)
        return h.count == 1 ? "0" + h : h
    }
}
