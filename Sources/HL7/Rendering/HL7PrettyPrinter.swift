/// A rendering of ER7 for people: one segment per block, each non-empty field on its own line
/// with its number, its name where known, and its decoded value.
///
/// ```
/// MSH  ADT^A01  control id MSG00001
///   MSH-3   Sending Application   SENDER
/// ```
public enum HL7PrettyPrinter {
    /// Renders every segment of `batch`.
    public static func render(_ batch: HL7Batch) -> String {
        var out = ""
        for segment in batch.segments {
            let id = segment.id
            out += id + "\n"
            for n in stride(from: 1, through: segment.fieldCount, by: 1) {
                let field = segment.field(n)
                if field.isEmpty { continue }
                let label = "\(id)-\(n)"
                let name = HL7FieldNames.name(segment: id, field: n) ?? ""
                out += "  " + label.padded(to: 8) + " " + name.padded(to: 34) + " " + describe(field, segment: segment, n: n) + "\n"
            }
        }
        return out
    }

    /// A field's value: raw for MSH-1/2; a simple value decoded as is; a composite as its
    /// non-empty components `.n value` (subcomponents joined by `&`), one repetition per `[r]`.
    static func describe(_ field: HL7Value, segment: HL7Segment, n: Int) -> String {
        if segment.isHeader && n <= 2 { return field.rawText }
        let repetitions = field.children
        let simple = repetitions.count == 1 && repetitions[0].count == 1 && repetitions[0][1].count == 1
        if simple { return field.formattedText.plainText.replacingNewlines() }
        return repetitions.enumerated().map { r, rep in
            let comps = rep.children.enumerated().compactMap { c, comp -> String? in
                guard !comp.isEmpty else { return nil }
                let text = comp.children.map { $0.formattedText.plainText.replacingNewlines() }.joined(separator: "&")
                return ".\(c + 1) \(text)"
            }.joined(separator: "  ")
            return repetitions.count > 1 ? "[\(r + 1)] \(comps)" : comps
        }.joined(separator: "  ")
    }
}

extension String {
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func replacingNewlines() -> String {
        var out = ""
        for ch in self { out += ch == "\n" ? "⏎" : String(ch) }
        return out
    }
}
