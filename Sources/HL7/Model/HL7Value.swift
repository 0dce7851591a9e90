/// A view of one field, repetition, component or subcomponent of a parsed message.
///
/// A value is a byte range in the message plus the delimiters that split it; nothing is decoded
/// or copied until you ask for ``text``, ``rawText`` or ``rawBytes``. Children are addressed with
/// 1-based subscripts, as HL7 numbers them: a field's children are repetitions, a repetition's
/// are components, a component's are subcomponents. A position past the end is an empty value,
/// never a trap: HL7 treats absent and empty alike.
public struct HL7Value: Sendable {
    /// What a value is a part of.
    public enum Level: Int, Sendable, Comparable {
        case field, repetition, component, subcomponent
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    @usableFromInline let storage: ER7Index
    /// The value's bytes in ``HL7Message/bytes``.
    public let byteRange: Range<Int>
    /// Which level of the hierarchy this value is.
    public let level: Level
    /// The delimiters of the segment the value is in.
    public let delimiters: HL7Delimiters
    /// The character set values are decoded with (`nil`: the fallback alone).
    public let characterSet: HL7CharacterSet?
    @usableFromInline let fallback: HL7CharacterSet.Fallback
    /// MSH-1 and MSH-2 are never split: they hold the delimiters themselves.
    @usableFromInline let isLiteral: Bool

    @usableFromInline
    init(storage: ER7Index, byteRange: Range<Int>, level: Level, delimiters: HL7Delimiters,
         characterSet: HL7CharacterSet?, fallback: HL7CharacterSet.Fallback, isLiteral: Bool) {
        self.storage = storage
        self.byteRange = byteRange
        self.level = level
        self.delimiters = delimiters
        self.characterSet = characterSet
        self.fallback = fallback
        self.isLiteral = isLiteral
    }

    /// True when the value has no bytes (absent or empty).
    public var isEmpty: Bool { byteRange.isEmpty }

    /// True for the HL7 null `""`: the sender asks the receiver to delete the stored value.
    public var isNull: Bool {
        byteRange.count == 2 && storage.bytes[byteRange.lowerBound] == 0x22 && storage.bytes[byteRange.lowerBound + 1] == 0x22
    }

    /// The bytes exactly as on the wire, delimiters and escapes included. (In a message built
    /// from HL7 v2.xml a value keeps the line breaks of its XML text, which the ER7 renderings of
    /// the message escape: see ``HL7MessageBuilder``.)
    public var rawBytes: ArraySlice<UInt8> { storage.bytes[byteRange] }

    /// The wire text, undecoded (escape sequences kept), in the message's character set.
    public var rawText: String {
        storage.bytes.withUnsafeBufferPointer { p in
            HL7Escaping.decodeText(UnsafeBufferPointer(rebasing: p[byteRange]), characterSet, fallback)
        }
    }

    /// The delimiter that separates this value's children, or `nil` for a subcomponent.
    @usableFromInline var childDelimiter: UInt8? {
        switch level {
        case .field: delimiters.repetition
        case .repetition: delimiters.component
        case .component: delimiters.subcomponent
        case .subcomponent: nil
        }
    }

    /// The number of children (at least 1): repetitions of a field, components of a repetition,
    /// subcomponents of a component; 1 for a subcomponent and for MSH-1/MSH-2.
    public var count: Int {
        guard !isLiteral, let d = childDelimiter else { return 1 }
        var n = 1
        for b in rawBytes where b == d { n += 1 }
        return n
    }

    /// The `n`th child (1-based); an empty value when there is no such child.
    /// For a subcomponent (or MSH-1/MSH-2), child 1 is the value itself.
    public subscript(_ n: Int) -> HL7Value {
        guard let d = childDelimiter, !isLiteral else {
            return n == 1 ? self : emptyChild(at: byteRange.upperBound, level: level)
        }
        let childLevel = Level(rawValue: level.rawValue + 1)!
        guard n >= 1 else { return emptyChild(at: byteRange.upperBound, level: childLevel) }
        return storage.bytes.withUnsafeBufferPointer { p in
            var start = byteRange.lowerBound
            var k = 1
            var i = start
            let end = byteRange.upperBound
            while i < end {
                if p[i] == d {
                    if k == n { return child(start..<i, level: childLevel) }
                    k += 1
                    start = i + 1
                }
                i += 1
            }
            return k == n ? child(start..<end, level: childLevel) : emptyChild(at: end, level: childLevel)
        }
    }

    /// All children in order (see ``count``).
    public var children: [HL7Value] {
        guard let d = childDelimiter, !isLiteral else { return [self] }
        let childLevel = Level(rawValue: level.rawValue + 1)!
        var out: [HL7Value] = []
        var start = byteRange.lowerBound
        for i in byteRange where storage.bytes[i] == d {
            out.append(child(start..<i, level: childLevel))
            start = i + 1
        }
        out.append(child(start..<byteRange.upperBound, level: childLevel))
        return out
    }

    /// The repetitions of a field (a repetition or lower level is its own single repetition).
    public var repetitions: [HL7Value] { level == .field ? children : [self] }

    /// Component `n` (1-based) of this value, or of its first repetition when it is a field.
    public func component(_ n: Int) -> HL7Value {
        switch level {
        case .field: self[1][n]
        case .repetition: self[n]
        case .component, .subcomponent: n == 1 ? self : emptyChild(at: byteRange.upperBound, level: .component)
        }
    }

    /// Subcomponent `s` of component `c` (first repetition for a field).
    public func subcomponent(_ c: Int, _ s: Int) -> HL7Value {
        let comp = component(c)
        return comp.level == .component ? comp[s] : (s == 1 ? comp : emptyChild(at: comp.byteRange.upperBound, level: .subcomponent))
    }

    /// The first leaf of the value (first repetition, component and subcomponent), decoded:
    /// escape sequences interpreted and bytes decoded with the message's character set.
    /// Formatting escapes become plain text (`\.br\` a line break). For a composite value, read
    /// its parts with ``component(_:)``; ``rawText`` gives the whole value as on the wire.
    public var text: String {
        let leaf = firstLeafRange
        return storage.bytes.withUnsafeBufferPointer { p in
            HL7Escaping.decodePlain(UnsafeBufferPointer(rebasing: p[leaf]), delimiters: delimiters,
                                    characterSet: characterSet, fallback: fallback)
        }
    }

    /// ``text``, or `nil` when the value is empty.
    public var nonEmptyText: String? {
        let t = text
        return t.isEmpty ? nil : t
    }

    /// The first leaf with its formatting escapes as structure.
    public var formattedText: HL7FormattedText {
        let leaf = firstLeafRange
        return storage.bytes.withUnsafeBufferPointer { p in
            HL7Escaping.decode(UnsafeBufferPointer(rebasing: p[leaf]), delimiters: delimiters,
                               characterSet: characterSet, fallback: fallback)
        }
    }

    /// The byte range of the first repetition's first component's first subcomponent.
    @usableFromInline var firstLeafRange: Range<Int> {
        if isLiteral || level == .subcomponent { return byteRange }
        return storage.bytes.withUnsafeBufferPointer { p in
            var i = byteRange.lowerBound
            let end = byteRange.upperBound
            let rep = delimiters.repetition, comp = delimiters.component, sub = delimiters.subcomponent
            switch level {
            case .field:
                while i < end, p[i] != rep, p[i] != comp, p[i] != sub { i += 1 }
            case .repetition:
                while i < end, p[i] != comp, p[i] != sub { i += 1 }
            case .component:
                while i < end, p[i] != sub { i += 1 }
            case .subcomponent: break
            }
            return byteRange.lowerBound..<i
        }
    }

    @inline(__always)
    func child(_ range: Range<Int>, level: Level) -> HL7Value {
        HL7Value(storage: storage, byteRange: range, level: level, delimiters: delimiters,
                 characterSet: characterSet, fallback: fallback, isLiteral: false)
    }

    @inline(__always)
    func emptyChild(at offset: Int, level: Level) -> HL7Value {
        child(offset..<offset, level: level)
    }
}

extension HL7Value: CustomStringConvertible {
    /// The wire text.
    public var description: String { rawText }
}
