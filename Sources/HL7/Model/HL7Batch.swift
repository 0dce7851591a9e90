/// A file or stream of ER7 messages: optional FHS/BHS batch headers, any number of messages,
/// optional BTS/FTS trailers (HL7 v2 §2.10.3). Also reads plain files of back-to-back messages.
///
/// All segments stay in one index (``segments`` is the flat list in file order); each message
/// is available as its own ``HL7Message``, parsed with the delimiters its MSH declares.
public struct HL7Batch: Sendable {
    @usableFromInline let storage: ER7Index
    /// The options the input was parsed with.
    public let options: HL7ParseOptions
    /// The messages, in order.
    public let messages: [HL7Message]
    /// For each message, the index of its MSH in ``segments``.
    public let messageSegmentIndexes: [Int]
    /// The character set used to turn the whole input into text: the one the first MSH declares
    /// when every byte fits it, else UTF-8 when the bytes are valid UTF-8, else ISO-8859-1.
    public let characterSet: HL7CharacterSet

    /// Parses a batch file or a stream of messages.
    ///
    /// - Throws: ``HL7ParseError``: bad delimiters or segment ids anywhere, a batch header out of
    ///   place (`.segmentSequence`), or segments that belong to no message.
    public init(parsing bytes: [UInt8], options: HL7ParseOptions = .default) throws(HL7ParseError) {
        let index = try ER7Scanner.index(bytes, options: options)
        storage = index
        self.options = options
        var messages: [HL7Message] = []
        var starts: [Int] = []
        var state = StructureState()
        let count = index.segments.count
        var s = 0
        while s < count {
            let kind = SegmentKind(index, s)
            try state.accept(kind, index: index, segment: s)
            guard kind == .msh else {
                s += 1
                continue
            }
            var end = s + 1
            while end < count, SegmentKind(index, end) == .other { end += 1 }
            let slice = Array(index.bytes[Int(index.segments[s].start)..<Int(index.segments[end - 1].end)])
            do {
                messages.append(try HL7Message(parsing: slice, options: options))
            } catch {
                var shifted = error
                shifted.byteOffset += Int(index.segments[s].start)
                shifted.segmentIndex = (error.segmentIndex ?? 0) + s
                throw shifted
            }
            starts.append(s)
            s = end
        }
        self.messages = messages
        messageSegmentIndexes = starts
        characterSet = HL7Batch.resolveCharacterSet(index, firstMSH: starts.first)
    }

    /// A batch of one message, sharing its index: what a one-message document (HL7 v2.xml)
    /// reads as.
    public init(_ message: HL7Message) {
        storage = message.storage
        options = message.options
        messages = [message]
        messageSegmentIndexes = [0]
        characterSet = HL7Batch.resolveCharacterSet(message.storage, firstMSH: 0)
    }

    /// Parses text (its UTF-8 bytes).
    public init(parsing text: String, options: HL7ParseOptions = .default) throws(HL7ParseError) {
        try self.init(parsing: Array(text.utf8), options: options)
    }

    /// Every segment of the input in order, headers and trailers included.
    public var segments: HL7SegmentList {
        HL7SegmentList(storage: storage, range: 0..<storage.segments.count, characterSet: characterSet, fallback: options.characterSetFallback)
    }

    /// The FHS segment, if the input has one.
    public var fileHeader: HL7Segment? { segments.first { $0.hasID("FHS") } }

    /// The BHS segments, in order.
    public var batchHeaders: [HL7Segment] { segments.filter { $0.hasID("BHS") } }

    /// The bytes as parsed.
    public var bytes: [UInt8] { storage.bytes }

    static func resolveCharacterSet(_ index: ER7Index, firstMSH: Int?) -> HL7CharacterSet {
        let declared = firstMSH.flatMap { HL7Message.declaredCharacterSet(index, segment: $0) }
        return index.bytes.withUnsafeBufferPointer { p in
            if let declared, declared.accepts(p) { return declared }
            if HL7CharacterSet.isASCII(p) { return declared ?? .ascii }
            return HL7CharacterSet.isValidUTF8(p) ? .utf8 : .iso8859(part: 1)
        }
    }

    enum SegmentKind: Equatable {
        case fhs, bhs, msh, bts, fts, other

        init(_ index: ER7Index, _ s: Int) {
            let span = index.segments[s]
            if span.isHeader {
                self = index.segment(s, hasID: 0x4D, 0x53, 0x48) ? .msh : (index.segment(s, hasID: 0x46, 0x48, 0x53) ? .fhs : .bhs)
            } else if index.segment(s, hasID: 0x42, 0x54, 0x53) {
                self = .bts
            } else if index.segment(s, hasID: 0x46, 0x54, 0x53) {
                self = .fts
            } else {
                self = .other
            }
        }
    }

    /// FHS? (BHS MSH… BTS?)* FTS?, or plain MSH… without batch headers.
    struct StructureState {
        var seenAny = false
        var inBatch = false
        var inMessage = false
        var fileClosed = false
        var fileOpen = false

        mutating func accept(_ kind: SegmentKind, index: ER7Index, segment s: Int) throws(HL7ParseError) {
            func fail(_ why: String) -> HL7ParseError {
                HL7ParseError(.segmentSequence, why, offset: Int(index.segments[s].start), segmentIndex: s)
            }
            defer { seenAny = true }
            if fileClosed { throw fail("segment after the FTS file trailer") }
            switch kind {
            case .fhs:
                guard !seenAny else { throw fail("FHS must be the first segment") }
                fileOpen = true
            case .bhs:
                guard !inBatch else { throw fail("BHS inside a batch that has not been closed with BTS") }
                inBatch = true
                inMessage = false
            case .msh:
                inMessage = true
            case .bts:
                guard inBatch else { throw fail("BTS without a BHS") }
                inBatch = false
                inMessage = false
            case .fts:
                guard fileOpen else { throw fail("FTS without an FHS") }
                fileClosed = true
                inMessage = false
            case .other:
                guard inMessage else { throw fail("segment outside any message (no MSH before it)") }
            }
        }
    }
}
