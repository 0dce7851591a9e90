/// The delimiters a message declares in MSH-1 and MSH-2 (or FHS/BHS-1 and -2).
///
/// They are read positionally: MSH-1 is the field separator; MSH-2 holds the component,
/// repetition, escape and subcomponent characters, and from v2.7 on an optional fifth, the
/// truncation character. Nothing here is assumed: `MSH$%~\&$` is as valid as `MSH|^~\&|`.
public struct HL7Delimiters: Hashable, Sendable {
    /// Separates fields (MSH-1), `|` by default.
    public var field: UInt8
    /// Separates components, `^` by default.
    public var component: UInt8
    /// Separates repetitions of a field, `~` by default.
    public var repetition: UInt8
    /// Starts and ends escape sequences, `\` by default.
    public var escape: UInt8
    /// Separates subcomponents, `&` by default.
    public var subcomponent: UInt8
    /// The v2.7 truncation character (`#`), when MSH-2 declares one.
    public var truncation: UInt8?

    /// `|^~\&`: the delimiters almost every sender uses.
    public static let standard = HL7Delimiters(
        field: UInt8(ascii: "|"), component: UInt8(ascii: "^"), repetition: UInt8(ascii: "~"),
        escape: UInt8(ascii: "\\"), subcomponent: UInt8(ascii: "&"), truncation: nil)

    /// Creates a delimiter set; use ``validated()`` before relying on it.
    public init(field: UInt8, component: UInt8, repetition: UInt8, escape: UInt8, subcomponent: UInt8, truncation: UInt8? = nil) {
        self.field = field
        self.component = component
        self.repetition = repetition
        self.escape = escape
        self.subcomponent = subcomponent
        self.truncation = truncation
    }

    /// The delimiters, after checking that they could be declared in MSH-1/MSH-2: printable
    /// ASCII punctuation (no letter, digit, space or line break), all distinct.
    ///
    /// - Throws: ``HL7ParseError`` with code `.invalidDelimiters` naming the first bad character.
    public func validated() throws(HL7ParseError) -> HL7Delimiters {
        let all = [field] + encodingCharacters
        for (i, b) in all.enumerated() {
            guard HL7Delimiters.isUsableDelimiter(b) else {
                throw HL7ParseError(.invalidDelimiters, "delimiter \(HL7Delimiters.describe(b)) is not printable ASCII punctuation",
                                    field: i == 0 ? 1 : 2)
            }
            guard !all[..<i].contains(b) else {
                throw HL7ParseError(.invalidDelimiters, "delimiter \(HL7Delimiters.describe(b)) is used twice", field: i == 0 ? 1 : 2)
            }
        }
        return self
    }

    /// MSH-2 as written: the encoding characters in their positional order.
    public var encodingCharacters: [UInt8] {
        var out = [component, repetition, escape, subcomponent]
        if let truncation { out.append(truncation) }
        return out
    }

    /// True when `byte` splits something (field, repetition, component or subcomponent).
    @inlinable
    public func isSeparator(_ byte: UInt8) -> Bool {
        byte == field || byte == component || byte == repetition || byte == subcomponent
    }

    /// Reads the delimiters of the header segment (MSH, FHS or BHS) that starts at `start`.
    ///
    /// - Throws: ``HL7ParseError`` with code `.invalidDelimiters` when MSH-1/MSH-2 are missing,
    ///   too short or too long, repeat a character, or use a letter, digit, space or line break.
    static func read(header bytes: UnsafeBufferPointer<UInt8>, at start: Int, segmentIndex: Int) throws(HL7ParseError) -> HL7Delimiters {
        let fsIndex = start + 3
        guard fsIndex < bytes.count else {
            throw HL7ParseError(.invalidDelimiters, "header segment ends before its field separator (MSH-1)",
                                bytes: bytes, offset: start, segmentIndex: segmentIndex, field: 1)
        }
        let fs = bytes[fsIndex]
        guard isUsableDelimiter(fs) else {
            throw HL7ParseError(.invalidDelimiters, "field separator (MSH-1) \(describe(fs)) is not a usable delimiter",
                                bytes: bytes, offset: fsIndex, segmentIndex: segmentIndex, field: 1)
        }
        var end = fsIndex + 1
        while end < bytes.count, end - fsIndex <= 6 {
            let b = bytes[end]
            if b == fs || b == 13 || b == 10 { break }
            end += 1
        }
        let count = end - fsIndex - 1
        guard count == 4 || count == 5 else {
            throw HL7ParseError(.invalidDelimiters,
                                "encoding characters (MSH-2) must be 4 characters (5 with the v2.7 truncation character), found \(count < 6 ? "\(count)" : "more than 5")",
                                bytes: bytes, offset: fsIndex + 1, segmentIndex: segmentIndex, field: 2)
        }
        let c = (fsIndex + 1)..<end
        for i in c {
            let b = bytes[i]
            guard isUsableDelimiter(b) else {
                throw HL7ParseError(.invalidDelimiters, "encoding character \(describe(b)) in MSH-2 is not a usable delimiter",
                                    bytes: bytes, offset: i, segmentIndex: segmentIndex, field: 2)
            }
            // No repeats, and none equal to the field separator (at most 5 bytes: a plain loop).
            var k = fsIndex
            while k < i {
                guard bytes[k] != b else {
                    throw HL7ParseError(.invalidDelimiters, "encoding character \(describe(b)) in MSH-2 is used twice",
                                        bytes: bytes, offset: i, segmentIndex: segmentIndex, field: 2)
                }
                k += 1
            }
        }
        return HL7Delimiters(field: fs, component: bytes[c.lowerBound], repetition: bytes[c.lowerBound + 1],
                             escape: bytes[c.lowerBound + 2], subcomponent: bytes[c.lowerBound + 3],
                             truncation: count == 5 ? bytes[c.lowerBound + 4] : nil)
    }

    /// Printable ASCII punctuation: not a letter, digit, space, control character or non-ASCII byte.
    static func isUsableDelimiter(_ b: UInt8) -> Bool {
        guard b > 0x20, b < 0x7F else { return false }
        let isDigit = b >= 0x30 && b <= 0x39
        let isLetter = (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A
        return !isDigit && !isLetter
    }

    static func describe(_ b: UInt8) -> String {
        if b > 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "0x" + String(b, radix: 16, uppercase: true)
    }
}
