/// Writes one message as ER7 and indexes it while writing, so its bytes are never scanned: for
/// encoders that produce ER7 from another representation (the HL7 v2.xml reader) and so know
/// where every segment and field begins.
///
/// A segment is ``beginSegment(_:)`` (a header segment, MSH, gets its MSH-1 and MSH-2 from the
/// builder's delimiters), then per field ``appendFieldSeparator()`` and the field's bytes as ER7
/// (component, repetition and subcomponent delimiters and escape sequences written by the
/// caller), then ``endSegment()``. ``message(options:)`` makes the message; ``reset(delimiters:)``
/// starts the next one and keeps the capacity.
///
/// Because segment ends are recorded rather than found, a value may hold line breaks (HL7 v2.xml
/// text keeps them exactly; ER7 cannot carry them): the message keeps them in its values and
/// canonical tree, and writes them as `\X0D\` / `\X0A\` wherever it renders ER7
/// (``HL7Message/serialized(normalizingTerminators:)``, ``HL7Segment/rawBytes``). Everything
/// else must already be ER7: delimiter characters inside values escaped.
///
/// ```swift
/// var builder = try HL7MessageBuilder(delimiters: .standard)
/// try builder.beginSegment("MSH".utf8)                 // MSH|^~\&
/// for field in ["SENDER", "FACILITY"] {                // MSH-3, MSH-4
///     builder.appendFieldSeparator()
///     Array(field.utf8).withUnsafeBufferPointer { builder.append($0) }
/// }
/// builder.endSegment()
/// let message = try builder.message()                  // MSH|^~\&|SENDER|FACILITY
/// ```
public struct HL7MessageBuilder: ~Copyable {
    /// The delimiters of the message (written as MSH-1 and MSH-2 of header segments).
    public private(set) var delimiters: HL7Delimiters
    @usableFromInline var bytes: GrowableBuffer<UInt8>
    @usableFromInline var separators: GrowableBuffer<UInt32>
    var spans: GrowableBuffer<SegmentSpan>
    /// Where the open segment starts; `nil` between segments.
    @usableFromInline var openSegmentStart: Int?
    var openSegmentFirstSeparator = 0
    var openSegmentIsHeader = false

    /// An empty builder for a message with these delimiters.
    ///
    /// - Throws: ``HL7ParseError`` `.invalidDelimiters` when they could not be declared in MSH-2.
    public init(delimiters: HL7Delimiters = .standard) throws(HL7ParseError) {
        self.delimiters = try delimiters.validated()
        bytes = GrowableBuffer(capacity: 4096)
        separators = GrowableBuffer(capacity: 512)
        spans = GrowableBuffer(capacity: 32)
    }

    /// Forgets what was written (keeping the capacity) and takes new delimiters.
    ///
    /// - Throws: ``HL7ParseError`` `.invalidDelimiters`; the builder is then empty with its old
    ///   delimiters.
    public mutating func reset(delimiters: HL7Delimiters) throws(HL7ParseError) {
        bytes.count = 0
        separators.count = 0
        spans.count = 0
        openSegmentStart = nil
        self.delimiters = try delimiters.validated()
    }

    /// The number of bytes written so far (terminators between segments included).
    public var byteCount: Int { bytes.count }

    /// The memory the builder holds for reuse, in bytes (what its largest message needed).
    public var reservedBytes: Int {
        bytes.capacity + separators.capacity * MemoryLayout<UInt32>.stride + spans.capacity * MemoryLayout<SegmentSpan>.stride
    }

    /// The number of segments begun so far.
    public var segmentCount: Int { spans.count + (openSegmentStart == nil ? 0 : 1) }

    /// Starts a segment (ending the open one, if any) with a CR between it and the previous one.
    /// For MSH, FHS and BHS the builder writes MSH-1 and MSH-2 itself: the next field is MSH-3.
    ///
    /// - Throws: ``HL7ParseError`` `.invalidSegmentID` unless `id` is three upper-case letters
    ///   or digits starting with a letter.
    @inlinable
    public mutating func beginSegment(_ id: some Collection<UInt8>) throws(HL7ParseError) {
        var i = id.startIndex
        guard id.count == 3 else {
            throw HL7ParseError(.invalidSegmentID, "segment id must be 3 upper-case letters or digits starting with a letter",
                                offset: bytes.count, segmentIndex: segmentCount)
        }
        let a = id[i]; id.formIndex(after: &i)
        let b = id[i]; id.formIndex(after: &i)
        try beginSegment(a, b, id[i])
    }

    @usableFromInline
    mutating func beginSegment(_ a: UInt8, _ b: UInt8, _ c: UInt8) throws(HL7ParseError) {
        if openSegmentStart != nil { endSegment() }
        func upper(_ x: UInt8) -> Bool { x >= 0x41 && x <= 0x5A }
        func digit(_ x: UInt8) -> Bool { x >= 0x30 && x <= 0x39 }
        guard upper(a), upper(b) || digit(b), upper(c) || digit(c) else {
            throw HL7ParseError(.invalidSegmentID, "segment id must be 3 upper-case letters or digits starting with a letter",
                                offset: bytes.count, segmentIndex: spans.count)
        }
        if spans.count > 0 { bytes.append(13) }
        openSegmentStart = bytes.count
        openSegmentFirstSeparator = separators.count
        bytes.append(a)
        bytes.append(b)
        bytes.append(c)
        openSegmentIsHeader = (a == 0x4D && b == 0x53 && c == 0x48) || (b == 0x48 && c == 0x53 && (a == 0x46 || a == 0x42))
        if openSegmentIsHeader {
            appendFieldSeparator()
            bytes.append(delimiters.component)
            bytes.append(delimiters.repetition)
            bytes.append(delimiters.escape)
            bytes.append(delimiters.subcomponent)
            if let truncation = delimiters.truncation { bytes.append(truncation) }
        }
    }

    /// Starts the next field: writes the field separator and records it in the index.
    @inlinable
    public mutating func appendFieldSeparator() {
        precondition(openSegmentStart != nil, "appendFieldSeparator() outside a segment")
        separators.append(UInt32(truncatingIfNeeded: bytes.count))
        bytes.append(delimiters.field)
    }

    /// Appends one byte of the open segment (a component, repetition or subcomponent delimiter,
    /// or text). Never the field separator: use ``appendFieldSeparator()``.
    @inlinable
    public mutating func append(_ byte: UInt8) {
        precondition(openSegmentStart != nil, "append(_:) outside a segment")
        bytes.append(byte)
    }

    /// Appends `byte` `count` times (delimiters that reach a later position).
    @inlinable
    public mutating func append(_ byte: UInt8, count: Int) {
        precondition(openSegmentStart != nil, "append(_:count:) outside a segment")
        bytes.append(repeating: byte, count: count)
    }

    /// Appends bytes of the open segment: ER7 text, delimiter characters escaped.
    @inlinable
    public mutating func append(_ text: UnsafeBufferPointer<UInt8>) {
        precondition(openSegmentStart != nil, "append(_:) outside a segment")
        guard let base = text.baseAddress else { return }
        bytes.append(base, count: text.count)
    }

    /// Ends the open segment (no effect between segments).
    public mutating func endSegment() {
        guard let start = openSegmentStart else { return }
        spans.append(SegmentSpan(
            start: UInt32(truncatingIfNeeded: start), end: UInt32(truncatingIfNeeded: bytes.count),
            firstSeparator: UInt32(truncatingIfNeeded: openSegmentFirstSeparator),
            separatorCount: UInt32(truncatingIfNeeded: separators.count - openSegmentFirstSeparator),
            delimiterSet: 0, isHeader: openSegmentIsHeader))
        openSegmentStart = nil
    }

    /// True when a value holds a CR or LF (every other line break is a terminator the builder
    /// wrote between two segments).
    var valuesHoldLineBreaks: Bool {
        ER7LineBreaks.count(in: bytes.elements) > max(segmentCount - 1, 0)
    }

    /// The message written so far (an open segment is ended first).
    ///
    /// - Throws: ``HL7ParseError``: no segments, more than `options.maxSegments`, over 4 GiB, a
    ///   first segment other than MSH, or a second header segment (`.multipleMessages`).
    public mutating func message(options: HL7ParseOptions = .default) throws(HL7ParseError) -> HL7Message {
        endSegment()
        guard bytes.count < Int(UInt32.max) else {
            throw HL7ParseError(.tooLarge, "message of \(bytes.count) bytes is larger than 4 GiB")
        }
        guard spans.count > 0 else { throw HL7ParseError(.empty, "no segments were written") }
        guard spans.count <= options.maxSegments else {
            throw HL7ParseError(.tooManySegments, "more than \(options.maxSegments) segments",
                                offset: Int(spans[options.maxSegments].start), segmentIndex: options.maxSegments)
        }
        let index = ER7Index(bytes: bytes.array(), segments: spans.array(), separators: separators.array(),
                             delimiterSets: [delimiters], valuesHoldLineBreaks: valuesHoldLineBreaks)
        return try HL7Message(index: index, options: options)
    }

    /// The ER7 wire text written so far, segments separated by CR: the bytes, with line breaks
    /// inside values written as `\X0D\` / `\X0A\`. An open segment is ended first.
    public mutating func serialized() -> [UInt8] {
        endSegment()
        guard valuesHoldLineBreaks else { return bytes.array() }
        return ER7LineBreaks.wireBytes(bytes.elements, segments: spans.elements, delimiterSets: [delimiters],
                                       normalizingTerminators: false)
    }

    /// Re-encodes the text written so far, taken as UTF-8, in `characterSet` (one byte per
    /// character), keeping the index: for sources that deliver UTF-8 (XML) when MSH-18 declares
    /// another set. An open segment is ended first.
    ///
    /// - Returns: false, changing nothing, when the bytes are not valid UTF-8 or hold a
    ///   character the set cannot encode (the message then stays UTF-8); true otherwise
    ///   (nothing to do for UTF-8 and for ASCII-only text).
    @discardableResult
    public mutating func reencode(in characterSet: HL7CharacterSet) -> Bool {
        endSegment()
        let source = bytes.elements
        if characterSet == .utf8 || HL7CharacterSet.isASCII(source) { return true }
        guard HL7CharacterSet.isValidUTF8(source) else { return false }
        var out = GrowableBuffer<UInt8>(capacity: source.count)
        // Offsets to move: separators and segment bounds, all at ASCII bytes and each list in
        // increasing order; an offset's new value is the output length when the walk reaches it.
        var starts: [UInt32] = [], ends: [UInt32] = [], newSeparators: [UInt32] = []
        starts.reserveCapacity(spans.count)
        ends.reserveCapacity(spans.count)
        newSeparators.reserveCapacity(separators.count)
        var i = 0
        while true {
            let here = UInt32(truncatingIfNeeded: out.count)
            while ends.count < spans.count, Int(spans[ends.count].end) == i { ends.append(here) }
            while starts.count < spans.count, Int(spans[starts.count].start) == i { starts.append(here) }
            while newSeparators.count < separators.count, Int(separators[newSeparators.count]) == i { newSeparators.append(here) }
            guard i < source.count else { break }
            let lead = source[i]
            guard lead >= 0x80 else {
                out.append(lead)
                i += 1
                continue
            }
            // Valid UTF-8 (checked above): the lead byte gives the length.
            let width = lead >= 0xF0 ? 4 : (lead >= 0xE0 ? 3 : 2)
            var value = UInt32(lead) & (width == 2 ? 0x1F : (width == 3 ? 0x0F : 0x07))
            for k in 1..<width { value = value << 6 | UInt32(source[i + k] & 0x3F) }
            guard let scalar = Unicode.Scalar(value), let encoded = characterSet.singleByte(scalar) else { return false }
            out.append(encoded)
            i += width
        }
        for k in 0..<spans.count {
            var span = spans[k]
            span.start = starts[k]
            span.end = ends[k]
            spans[k] = span
        }
        for k in 0..<separators.count { separators[k] = newSeparators[k] }
        bytes = out
        return true
    }
}
