/// ER7 escape sequences (HL7 v2 §2.7): decoding on read, encoding on write.
///
/// Decoding turns `\F\ \S\ \T\ \R\ \E\ \P\` into the delimiter characters, `\Xhh…\` into the
/// bytes it names (in the message's character set) and the formatting escapes into
/// ``HL7FormattedText`` pieces. An escape character that starts no complete sequence, and a
/// sequence it does not know or cannot read (`\Xzz\`), are kept as literal text: senders get
/// this wrong often, and dropping their data would be worse.
public enum HL7Escaping {
    /// Decodes one leaf value (a subcomponent, or any value the caller treats as text).
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, delimiters: HL7Delimiters,
                              characterSet: HL7CharacterSet?, fallback: HL7CharacterSet.Fallback) -> HL7FormattedText {
        var pieces: [HL7FormattedText.Piece] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            let text = pending.withUnsafeBufferPointer { decodeText($0, characterSet, fallback) }
            if case .text(let previous)? = pieces.last {
                pieces[pieces.count - 1] = .text(previous + text)
            } else {
                pieces.append(.text(text))
            }
            pending.removeAll(keepingCapacity: true)
        }
        let esc = delimiters.escape
        let n = bytes.count
        var i = 0
        while i < n {
            let b = bytes[i]
            guard b == esc, let close = closingEscape(bytes, after: i, escape: esc) else {
                pending.append(b)
                i += 1
                continue
            }
            let body = UnsafeBufferPointer(rebasing: bytes[(i + 1)..<close])
            if let piece = interpret(body, delimiters: delimiters, into: &pending) {
                flush()
                pieces.append(piece)
            }
            i = close + 1
        }
        flush()
        return HL7FormattedText(pieces: pieces)
    }

    /// Decodes a leaf value straight to a plain string (see ``HL7FormattedText/plainText``).
    public static func decodePlain(_ bytes: UnsafeBufferPointer<UInt8>, delimiters: HL7Delimiters,
                                   characterSet: HL7CharacterSet?, fallback: HL7CharacterSet.Fallback) -> String {
        // Fast path: no escape character, nothing to interpret.
        if !bytes.contains(delimiters.escape) {
            return decodeText(bytes, characterSet, fallback)
        }
        return decode(bytes, delimiters: delimiters, characterSet: characterSet, fallback: fallback).plainText
    }

    /// Encodes text as an ER7 leaf value: delimiter characters become `\F\ \S\ \T\ \R\ \E\ \P\`,
    /// line breaks (`\r\n`, `\n`, `\r`) become `\.br\`, and the rest is encoded in
    /// `characterSet` (UTF-8 when `nil`).
    public static func encode(_ text: String, delimiters: HL7Delimiters, characterSet: HL7CharacterSet? = nil) -> [UInt8] {
        let raw = (characterSet ?? .utf8).encode(text)
        var out: [UInt8] = []
        out.reserveCapacity(raw.count + 8)
        let esc = delimiters.escape
        func escape(_ code: StaticString) {
            out.append(esc)
            code.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(esc)
        }
        var i = 0
        while i < raw.count {
            let b = raw[i]
            switch b {
            case delimiters.field: escape("F")
            case delimiters.component: escape("S")
            case delimiters.subcomponent: escape("T")
            case delimiters.repetition: escape("R")
            case esc: escape("E")
            case 13:
                escape(".br")
                if i + 1 < raw.count, raw[i + 1] == 10 { i += 1 }
            case 10: escape(".br")
            default:
                if let t = delimiters.truncation, b == t { escape("P") } else { out.append(b) }
            }
            i += 1
        }
        return out
    }

    /// The index of the escape character that closes the sequence opened at `open`, if the
    /// value holds one (sequences never span delimiters: the caller passes one leaf).
    static func closingEscape(_ bytes: UnsafeBufferPointer<UInt8>, after open: Int, escape: UInt8) -> Int? {
        var j = open + 1
        while j < bytes.count {
            if bytes[j] == escape { return j > open + 1 ? j : nil }
            j += 1
        }
        return nil
    }

    /// Interprets the text between two escape characters. Bytes to keep as text are appended to
    /// `pending`; a formatting instruction is returned.
    static func interpret(_ body: UnsafeBufferPointer<UInt8>, delimiters: HL7Delimiters, into pending: inout [UInt8]) -> HL7FormattedText.Piece? {
        let first = body[0]
        if body.count == 1 {
            switch first {
            case UInt8(ascii: "F"): pending.append(delimiters.field); return nil
            case UInt8(ascii: "S"): pending.append(delimiters.component); return nil
            case UInt8(ascii: "T"): pending.append(delimiters.subcomponent); return nil
            case UInt8(ascii: "R"): pending.append(delimiters.repetition); return nil
            case UInt8(ascii: "E"): pending.append(delimiters.escape); return nil
            case UInt8(ascii: "P"): pending.append(delimiters.truncation ?? UInt8(ascii: "#")); return nil
            case UInt8(ascii: "H"): return .highlight(true)
            case UInt8(ascii: "N"): return .highlight(false)
            default: break
            }
        }
        let text = String(decoding: body, as: UTF8.self)
        switch first {
        case UInt8(ascii: "X"):
            if let decoded = hexBytes(UnsafeBufferPointer(rebasing: body.dropFirst())) {
                pending.append(contentsOf: decoded)
                return nil
            }
        case UInt8(ascii: "."):
            if let piece = formatting(text.dropFirst()) { return piece }
        case UInt8(ascii: "C"), UInt8(ascii: "M"):
            if body.count > 1, hexBytes(UnsafeBufferPointer(rebasing: body.dropFirst())) != nil {
                return .characterSetSwitch(text)
            }
        case UInt8(ascii: "Z"):
            return .localEscape(text)
        default: break
        }
        // Unknown or unreadable: keep it exactly as written.
        pending.append(delimiters.escape)
        pending.append(contentsOf: body)
        pending.append(delimiters.escape)
        return nil
    }

    static func formatting(_ command: Substring) -> HL7FormattedText.Piece? {
        let name = command.prefix(2)
        let argument = command.dropFirst(2).trimmingSpaces()
        let number = argument.isEmpty ? nil : Int(argument)
        guard argument.isEmpty || number != nil else { return nil }
        switch name {
        case "br" where argument.isEmpty: return .lineBreak
        case "sp": return .verticalSpace(number ?? 1)
        case "sk": return .horizontalSkip(number ?? 1)
        case "in": return .indent(number ?? 0)
        case "ti": return .temporaryIndent(number ?? 0)
        case "ce" where argument.isEmpty: return .center
        case "fi" where argument.isEmpty: return .wordWrap(true)
        case "nf" where argument.isEmpty: return .wordWrap(false)
        default: return nil
        }
    }

    /// Reads an even number of hex digits; `nil` for anything else.
    static func hexBytes(_ digits: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = hexValue(digits[i]), let lo = hexValue(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    @inline(__always)
    static func decodeText(_ bytes: UnsafeBufferPointer<UInt8>, _ characterSet: HL7CharacterSet?, _ fallback: HL7CharacterSet.Fallback) -> String {
        if let characterSet { return characterSet.decode(bytes, fallback: fallback) }
        if HL7CharacterSet.isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        return HL7CharacterSet.decode(bytes, fallback: fallback)
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
