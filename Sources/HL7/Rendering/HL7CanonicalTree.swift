/// The canonical tree of ER7 text as JSON (`hl7v2-canonical-tree/1`, DESIGN §9).
///
/// Every field is a list of repetitions, each a list of components, each a list of
/// subcomponent strings; escape sequences are kept as on the wire; MSH-1 is the field
/// separator and MSH-2 the encoding characters unsplit. Conformance tests compare this tree
/// with those of other parsers.
public enum HL7CanonicalTree {
    /// Renders a parsed input (one message or a batch) as one JSON object, UTF-8.
    public static func json(_ batch: HL7Batch) -> [UInt8] {
        var out = JSONWriter()
        out.raw("{\"format\":\"hl7v2-canonical-tree/1\",\"charset\":")
        out.string(batch.characterSet.description)
        let first = batch.messages.first
        let header = first?.header
        let msh = first?.msh
        out.raw(",\"message_type\":")
        out.optional(msh.flatMap { $0.fieldCount >= 9 ? rejoined($0.field(9)) : nil })
        out.raw(",\"message_code\":")
        out.optional(header.flatMap { $0.messageCode.isEmpty ? nil : msh!.field(9).component(1).rawText })
        out.raw(",\"trigger_event\":")
        out.optional(header.flatMap { $0.triggerEvent.isEmpty ? nil : msh!.field(9).component(2).rawText })
        out.raw(",\"control_id\":")
        out.optional(msh.flatMap { $0.fieldCount >= 10 ? rejoined($0.field(10)) : nil })
        out.raw(",\"version\":")
        out.optional(msh.flatMap { $0.field(12).component(1).rawText }.flatMap { $0.isEmpty ? nil : $0 })
        out.raw(",\"segments\":[")
        for (k, segment) in batch.segments.enumerated() {
            if k > 0 { out.raw(",") }
            segmentJSON(segment, into: &out)
        }
        out.raw("]}\n")
        return out.bytes
    }

    static func segmentJSON(_ segment: HL7Segment, into out: inout JSONWriter) {
        out.raw("{\"id\":")
        out.string(segment.id)
        out.raw(",\"fields\":[")
        for n in stride(from: 1, through: segment.fieldCount, by: 1) {
            if n > 1 { out.raw(",") }
            let field = segment.field(n)
            if segment.isHeader && n <= 2 {
                out.raw("[[[")
                out.string(field.rawText)
                out.raw("]]]")
                continue
            }
            out.raw("[")
            for (r, rep) in field.children.enumerated() {
                if r > 0 { out.raw(",") }
                out.raw("[")
                for (c, comp) in rep.children.enumerated() {
                    if c > 0 { out.raw(",") }
                    out.raw("[")
                    for (s, sub) in comp.children.enumerated() {
                        if s > 0 { out.raw(",") }
                        out.string(sub.rawText)
                    }
                    out.raw("]")
                }
                out.raw("]")
            }
            out.raw("]")
        }
        out.raw("]}")
    }

    /// A value's components joined with `^` and subcomponents with `&`, whatever the message's
    /// own delimiters.
    static func rejoined(_ value: HL7Value) -> String {
        let rep = value.level == .field ? value[1] : value
        return rep.children.map { $0.children.map(\.rawText).joined(separator: "&") }.joined(separator: "^")
    }
}

