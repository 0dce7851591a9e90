/// A view of one segment of a parsed message.
public struct HL7Segment: Sendable {
    @usableFromInline let storage: ER7Index
    /// The segment's position in the parsed input (0-based, blank lines not counted).
    public let index: Int
    @usableFromInline let characterSet: HL7CharacterSet?
    @usableFromInline let fallback: HL7CharacterSet.Fallback

    @usableFromInline
    init(storage: ER7Index, index: Int, characterSet: HL7CharacterSet?, fallback: HL7CharacterSet.Fallback) {
        self.storage = storage
        self.index = index
        self.characterSet = characterSet
        self.fallback = fallback
    }

    /// The segment id (`MSH`, `PID`, `ZPI`…).
    public var id: String {
        String(decoding: storage.bytes[storage.idRange(segment: index)], as: UTF8.self)
    }

    /// True when the id is the given three characters (no String made).
    @inlinable
    public func hasID(_ id: StaticString) -> Bool {
        precondition(id.utf8CodeUnitCount == 3, "segment ids have three characters")
        let p = id.utf8Start
        return storage.segment(index, hasID: p[0], p[1], p[2])
    }

    /// The delimiters governing this segment.
    public var delimiters: HL7Delimiters { storage.delimiters(segment: index) }

    /// The segment's bytes as on the ER7 wire, without its terminator: as parsed, except that
    /// line breaks inside values (only a message made by ``HL7MessageBuilder`` from HL7 v2.xml
    /// has them) are written `\X0D\` / `\X0A\`, since ER7 cannot carry them.
    public var rawBytes: ArraySlice<UInt8> {
        storage.wireBytes(segment: index)
    }

    /// The byte range of the segment in the message.
    public var byteRange: Range<Int> {
        let span = storage.segments[index]
        return Int(span.start)..<Int(span.end)
    }

    /// The number of fields present (HL7 numbering: for MSH, MSH-1 counts).
    public var fieldCount: Int { storage.fieldCount(segment: index) }

    /// True for MSH, FHS and BHS.
    public var isHeader: Bool { storage.segments[index].isHeader }

    /// Field `n` (1-based, as HL7 numbers it; MSH-1 is the field separator). An empty value when
    /// the segment has fewer fields.
    public subscript(_ n: Int) -> HL7Value {
        field(n)
    }

    /// Field `n` (1-based). See ``subscript(_:)``.
    @inlinable
    public func field(_ n: Int) -> HL7Value {
        let range = storage.fieldRange(segment: index, field: n)
            ?? Int(storage.segments[index].end)..<Int(storage.segments[index].end)
        let literal = storage.segments[index].isHeader && (n == 1 || n == 2)
        return HL7Value(storage: storage, byteRange: range, level: .field, delimiters: storage.delimiters(segment: index),
                        characterSet: characterSet, fallback: fallback, isLiteral: literal)
    }

    /// Fields 1...``fieldCount`` in order.
    public var fields: [HL7Value] {
        fieldCount == 0 ? [] : (1...fieldCount).map { field($0) }
    }
}

extension HL7Segment: CustomStringConvertible {
    /// The segment as on the wire.
    public var description: String {
        storage.bytes.withUnsafeBufferPointer { p in
            HL7Escaping.decodeText(UnsafeBufferPointer(rebasing: p[byteRange]), characterSet, fallback)
        }
    }
}
