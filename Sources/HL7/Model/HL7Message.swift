/// One parsed HL7 v2 message in ER7 (pipe-delimited) encoding.
///
/// Parsing indexes segments and field boundaries in one pass over the bytes; values are decoded
/// when asked for. The message keeps its bytes, so serializing an unmodified message gives back
/// exactly what was parsed.
///
/// ```swift
/// let message = try HL7Message(parsing: bytes)
/// let mrn = message["PID-3.1"].text
/// let family = message["PID-5"].component(1).text
/// ```
public struct HL7Message: Sendable {
    @usableFromInline var storage: ER7Index
    /// The options the message was parsed with (kept for edits, which reparse).
    public let options: HL7ParseOptions
    /// The character set MSH-18 declares, if it names one this codec knows.
    public let characterSet: HL7CharacterSet?

    /// Parses one message. The input must hold exactly one MSH segment and no batch headers.
    /// Segment terminators may be CR, LF or CRLF in any mix; a UTF-8 BOM is skipped.
    ///
    /// - Throws: ``HL7ParseError`` with the position of the first problem.
    public init(parsing bytes: [UInt8], options: HL7ParseOptions = .default) throws(HL7ParseError) {
        let index = try ER7Scanner.index(bytes, options: options)
        try self.init(index: index, options: options)
    }

    /// Parses one message from text (its UTF-8 bytes).
    public init(parsing text: String, options: HL7ParseOptions = .default) throws(HL7ParseError) {
        try self.init(parsing: Array(text.utf8), options: options)
    }

    init(index: ER7Index, options: HL7ParseOptions) throws(HL7ParseError) {
        guard index.segment(0, hasID: 0x4D, 0x53, 0x48) else {
            throw HL7ParseError(.segmentSequence, "a message starts with MSH, not \(HL7Segment(storage: index, index: 0, characterSet: nil, fallback: .latin1).id): use HL7Batch for batch files",
                                offset: Int(index.segments[0].start), segmentIndex: 0)
        }
        for s in index.segments.indices.dropFirst() where index.segments[s].isHeader {
            let kind = index.segment(s, hasID: 0x4D, 0x53, 0x48) ? "a second MSH" : "a batch header"
            throw HL7ParseError(.multipleMessages, "one message expected, found \(kind) in segment \(s + 1)",
                                offset: Int(index.segments[s].start), segmentIndex: s)
        }
        storage = index
        self.options = options
        characterSet = HL7Message.declaredCharacterSet(index)
    }

    /// MSH-18 (first repetition, first component) of the first segment, if it names a known set.
    static func declaredCharacterSet(_ index: ER7Index, segment s: Int = 0) -> HL7CharacterSet? {
        guard let range = index.fieldRange(segment: s, field: 18), !range.isEmpty else { return nil }
        let d = index.delimiters(segment: s)
        var end = range.lowerBound
        while end < range.upperBound, index.bytes[end] != d.repetition, index.bytes[end] != d.component,
              index.bytes[end] != d.subcomponent { end += 1 }
        guard end > range.lowerBound else { return nil }
        return index.bytes.withUnsafeBufferPointer { p in
            HL7CharacterSet(hl7NameBytes: UnsafeBufferPointer(rebasing: p[range.lowerBound..<end]))
        }
    }

    /// The bytes of the message exactly as parsed (or as last edited). For a message made by
    /// ``HL7MessageBuilder`` (HL7 v2.xml), values may hold line breaks here; use
    /// ``serialized(normalizingTerminators:)`` for ER7 wire text.
    public var bytes: [UInt8] { storage.bytes }

    /// The delimiters MSH-1 and MSH-2 declare.
    public var delimiters: HL7Delimiters { storage.delimiterSets[0] }

    /// The number of segments (blank lines are not segments).
    public var segmentCount: Int { storage.segments.count }

    /// All segments in order.
    public var segments: HL7SegmentList {
        HL7SegmentList(storage: storage, range: 0..<storage.segments.count, characterSet: characterSet,
                       fallback: options.characterSetFallback)
    }

    /// The MSH segment.
    public var msh: HL7Segment { segments[0] }

    /// The typed MSH fields every router needs.
    public var header: HL7Header {
        storage.wireBytes(segment: 0).withUnsafeBufferPointer { line in
            HL7Header(line: line, delimiters: delimiters, fallback: options.characterSetFallback)
        }
    }

    /// The `occurrence`th segment (1-based) with the given id, or `nil`.
    @inlinable
    public func segment(_ id: StaticString, occurrence: Int = 1) -> HL7Segment? {
        precondition(id.utf8CodeUnitCount == 3, "segment ids have three characters")
        let p = id.utf8Start
        return segment(p[0], p[1], p[2], occurrence: occurrence)
    }

    /// The `occurrence`th segment (1-based) whose id is `id`, or `nil`.
    public func segment(named id: String, occurrence: Int = 1) -> HL7Segment? {
        let b = Array(id.utf8)
        guard b.count == 3 else { return nil }
        return segment(b[0], b[1], b[2], occurrence: occurrence)
    }

    /// Every segment with the given id, in order.
    public func segments(named id: String) -> [HL7Segment] {
        segments.filter { $0.id == id }
    }

    @usableFromInline
    func segment(_ a: UInt8, _ b: UInt8, _ c: UInt8, occurrence: Int) -> HL7Segment? {
        var seen = 0
        for s in 0..<storage.segments.count where storage.segment(s, hasID: a, b, c) {
            seen += 1
            if seen == occurrence {
                return HL7Segment(storage: storage, index: s, characterSet: characterSet, fallback: options.characterSetFallback)
            }
        }
        return nil
    }

    /// The value at `path`, or `nil` when the segment is absent. A path that stops at a field
    /// gives the whole field; read ``HL7Value/text`` for its first component.
    public func value(at path: HL7Path) -> HL7Value? {
        guard let seg = segment(path.segmentID.0, path.segmentID.1, path.segmentID.2, occurrence: path.occurrence) else {
            return nil
        }
        var value = seg.field(path.field)
        if let r = path.repetition { value = value[r] }
        if let c = path.component { value = value.component(c) }
        if let s = path.subcomponent { value = value[s] }
        return value
    }

    /// The value at `path`; an empty value when the segment or any position is absent.
    public subscript(_ path: HL7Path) -> HL7Value {
        value(at: path) ?? HL7Value(storage: storage, byteRange: 0..<0, level: .field, delimiters: delimiters,
                                    characterSet: characterSet, fallback: options.characterSetFallback, isLiteral: false)
    }

    /// The decoded text at `path` (see ``HL7Value/text``), `nil` when absent or empty.
    public func text(at path: HL7Path) -> String? {
        value(at: path)?.nonEmptyText
    }

    /// The message as ER7 bytes. By default exactly the parsed bytes; with
    /// `normalizingTerminators`, every segment ends in a single CR, blank lines and a leading
    /// byte-order mark are dropped. Line breaks inside values (only a message made by
    /// ``HL7MessageBuilder`` has them) are written `\X0D\` / `\X0A\`: ER7 cannot hold them.
    public func serialized(normalizingTerminators: Bool = false) -> [UInt8] {
        if storage.valuesHoldLineBreaks {
            return storage.bytes.withUnsafeBufferPointer { bytes in
                storage.segments.withUnsafeBufferPointer { spans in
                    ER7LineBreaks.wireBytes(bytes, segments: spans, delimiterSets: storage.delimiterSets,
                                            normalizingTerminators: normalizingTerminators)
                }
            }
        }
        guard normalizingTerminators else { return storage.bytes }
        var out: [UInt8] = []
        out.reserveCapacity(storage.bytes.count + 1)
        for span in storage.segments {
            out.append(contentsOf: storage.bytes[Int(span.start)..<Int(span.end)])
            out.append(13)
        }
        return out
    }

    /// Checks every byte against the declared character set (MSH-18). A message that declares
    /// `UNICODE UTF-8` but holds invalid or overlong UTF-8 fails; so does `ASCII` with 8-bit bytes.
    public func validateCharacterEncoding() throws(HL7ParseError) {
        guard let characterSet else { return }
        let ok = storage.bytes.withUnsafeBufferPointer { characterSet.accepts($0) }
        guard ok else {
            let offset = storage.bytes.withUnsafeBufferPointer { p -> Int in
                for s in storage.segments {
                    let r = Int(s.start)..<Int(s.end)
                    if !characterSet.accepts(UnsafeBufferPointer(rebasing: p[r])) {
                        for k in r where p[k] >= 0x80 { return k }
                    }
                }
                return 0
            }
            throw storage.bytes.withUnsafeBufferPointer { p in
                HL7ParseError(.invalidEncoding, "bytes are not valid \(characterSet.hl7Name) as MSH-18 declares",
                              bytes: p, offset: offset, field: nil)
            }
        }
    }
}

/// The segments of a message, in order.
public struct HL7SegmentList: RandomAccessCollection, Sendable {
    let storage: ER7Index
    let range: Range<Int>
    let characterSet: HL7CharacterSet?
    let fallback: HL7CharacterSet.Fallback

    public var startIndex: Int { 0 }
    public var endIndex: Int { range.count }
    public subscript(position: Int) -> HL7Segment {
        HL7Segment(storage: storage, index: range.lowerBound + position, characterSet: characterSet, fallback: fallback)
    }
}

extension HL7Message: CustomStringConvertible {
    /// The message as text with segments on separate lines (CR shown as a line break).
    public var description: String {
        segments.map(\.description).joined(separator: "\n")
    }
}
