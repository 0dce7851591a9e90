/// Where one segment sits in the input.
@usableFromInline
struct SegmentSpan: Sendable, Hashable, BitwiseCopyable {
    /// Offset of the first byte of the segment id.
    @usableFromInline var start: UInt32
    /// Offset one past the last byte of the segment (its terminator excluded).
    @usableFromInline var end: UInt32
    /// Index of this segment's first field separator in ``ER7Index/separators``.
    @usableFromInline var firstSeparator: UInt32
    /// How many field separators the segment holds.
    @usableFromInline var separatorCount: UInt32
    /// Index into ``ER7Index/delimiterSets`` of the delimiters governing this segment.
    @usableFromInline var delimiterSet: UInt16
    /// True for MSH, FHS and BHS, whose first two fields are the delimiters themselves.
    @usableFromInline var isHeader: Bool
}

/// The index of parsed ER7 bytes: segment spans and field-separator offsets, nothing decoded.
///
/// Parsing touches every byte once (with SIMD compares where the CPU has them) and writes one
/// `UInt32` per field separator and one ``SegmentSpan`` per segment. Repetitions, components and
/// subcomponents are found when a value is asked for: fields are short, so a second look at
/// their few bytes is cheaper than indexing every delimiter up front.
///
/// A final class so that views (segments, values) share it with one reference each.
@usableFromInline
final class ER7Index: Sendable {
    @usableFromInline let bytes: [UInt8]
    @usableFromInline let segments: [SegmentSpan]
    @usableFromInline let separators: [UInt32]
    @usableFromInline let delimiterSets: [HL7Delimiters]
    /// True when a value holds a CR or LF: only for messages built with ``HL7MessageBuilder``
    /// (parsed ER7 ends a segment there). ER7 renderings then escape them (``ER7LineBreaks``).
    let valuesHoldLineBreaks: Bool

    init(bytes: [UInt8], segments: [SegmentSpan], separators: [UInt32], delimiterSets: [HL7Delimiters],
         valuesHoldLineBreaks: Bool = false) {
        self.bytes = bytes
        self.segments = segments
        self.separators = separators
        self.delimiterSets = delimiterSets
        self.valuesHoldLineBreaks = valuesHoldLineBreaks
    }

    /// The ER7 wire text of segment `s` without its terminator: its bytes, with line breaks
    /// inside values escaped when the message holds any.
    func wireBytes(segment s: Int) -> ArraySlice<UInt8> {
        let span = segments[s]
        let raw = bytes[Int(span.start)..<Int(span.end)]
        guard valuesHoldLineBreaks else { return raw }
        return raw.withUnsafeBufferPointer { p in
            guard ER7LineBreaks.contains(p) else { return raw }
            var out: [UInt8] = []
            ER7LineBreaks.appendEscaped(p, escape: delimiterSets[Int(span.delimiterSet)].escape, to: &out)
            return out[...]
        }
    }

    /// The delimiters governing segment `s`.
    @inlinable
    func delimiters(segment s: Int) -> HL7Delimiters {
        delimiterSets[Int(segments[s].delimiterSet)]
    }

    /// The byte range of element `element` of segment `s`, where element 0 is the segment id
    /// and element k is the text after the k-th field separator.
    @inlinable
    func elementRange(segment s: Int, element: Int) -> Range<Int>? {
        let span = segments[s]
        let count = Int(span.separatorCount)
        guard element >= 0, element <= count else { return nil }
        let first = Int(span.firstSeparator)
        let lower = element == 0 ? Int(span.start) : Int(separators[first + element - 1]) + 1
        let upper = element == count ? Int(span.end) : Int(separators[first + element])
        return lower..<upper
    }

    /// The byte range of field `n` (1-based, HL7 numbering) of segment `s`; `nil` when the
    /// segment has fewer fields. For header segments field 1 is the separator itself.
    @inlinable
    func fieldRange(segment s: Int, field n: Int) -> Range<Int>? {
        guard n >= 1 else { return nil }
        if segments[s].isHeader {
            if n == 1 {
                let sep = Int(separators[Int(segments[s].firstSeparator)])
                return sep..<(sep + 1)
            }
            return elementRange(segment: s, element: n - 1)
        }
        return elementRange(segment: s, element: n)
    }

    /// The number of fields of segment `s` in HL7 numbering.
    @inlinable
    func fieldCount(segment s: Int) -> Int {
        Int(segments[s].separatorCount) + (segments[s].isHeader ? 1 : 0)
    }

    /// True when the three id bytes of segment `s` equal `a`, `b`, `c`.
    @inlinable
    func segment(_ s: Int, hasID a: UInt8, _ b: UInt8, _ c: UInt8) -> Bool {
        let span = segments[s]
        let start = Int(span.start)
        let idEnd = span.separatorCount == 0 ? Int(span.end) : Int(separators[Int(span.firstSeparator)])
        guard idEnd - start == 3 else { return false }
        return bytes.withUnsafeBufferPointer { p in
            p[start] == a && p[start + 1] == b && p[start + 2] == c
        }
    }

    /// The id bytes of segment `s` (text before its first field separator).
    func idRange(segment s: Int) -> Range<Int> {
        let span = segments[s]
        let idEnd = span.separatorCount == 0 ? Int(span.end) : Int(separators[Int(span.firstSeparator)])
        return Int(span.start)..<idEnd
    }
}
