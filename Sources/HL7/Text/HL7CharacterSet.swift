/// The character set of a message's text, from MSH-18 (first repetition).
///
/// Values are kept as bytes; text is decoded when it is asked for, with the set the message
/// declares. Messages that declare nothing, or that declare a set their bytes do not fit, are
/// decoded with the configured ``Fallback``.
public enum HL7CharacterSet: Hashable, Sendable, CustomStringConvertible {
    /// `ASCII` / `ISO IR6`: 7-bit.
    case ascii
    /// `8859/n` / `ISO IRnnn`: one byte per character (parts 1–9 and 15).
    case iso8859(part: Int)
    /// `UNICODE UTF-8` / `ISO IR192`.
    case utf8

    /// How bytes that do not fit the declared set become text.
    public enum Fallback: Hashable, Sendable {
        /// Try UTF-8, and where the bytes are not valid UTF-8, ISO-8859-1 (never fails).
        case utf8ThenLatin1
        /// Decode as ISO-8859-1 (never fails).
        case latin1
        /// Decode as UTF-8 with U+FFFD for invalid bytes.
        case utf8Replacing
    }

    /// Reads an MSH-18 value such as `UNICODE UTF-8`, `8859/1` or `ISO IR100`; `nil` for an empty
    /// or unknown name (the fallback then applies).
    public init?(hl7Name raw: some StringProtocol) {
        let name = raw.uppercased().split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        switch name {
        case "ASCII", "ISO IR6", "ISO-IR 6", "US-ASCII": self = .ascii
        case "UNICODE UTF-8", "UTF-8", "UTF8", "ISO IR192", "UNICODE": self = .utf8
        case "ISO IR100": self = .iso8859(part: 1)
        case "ISO IR101": self = .iso8859(part: 2)
        case "ISO IR109": self = .iso8859(part: 3)
        case "ISO IR110": self = .iso8859(part: 4)
        case "ISO IR144": self = .iso8859(part: 5)
        case "ISO IR127": self = .iso8859(part: 6)
        case "ISO IR126": self = .iso8859(part: 7)
        case "ISO IR138": self = .iso8859(part: 8)
        case "ISO IR148": self = .iso8859(part: 9)
        case "ISO IR203": self = .iso8859(part: 15)
        default:
            var rest = Substring(name)
            if rest.hasPrefix("ISO-") { rest = rest.dropFirst(4) } else if rest.hasPrefix("ISO ") { rest = rest.dropFirst(4) }
            guard rest.hasPrefix("8859/") || rest.hasPrefix("8859-"), let part = Int(rest.dropFirst(5)),
                  (1...9).contains(part) || part == 15 else { return nil }
            self = .iso8859(part: part)
        }
    }

    /// Reads an MSH-18 name from bytes; the common spellings are matched without allocating.
    public init?(hl7NameBytes b: UnsafeBufferPointer<UInt8>) {
        if HL7CharacterSet.equals(b, "UNICODE UTF-8") { self = .utf8; return }
        if HL7CharacterSet.equals(b, "ASCII") { self = .ascii; return }
        if HL7CharacterSet.equals(b, "8859/1") { self = .iso8859(part: 1); return }
        guard !b.isEmpty else { return nil }
        self.init(hl7Name: String(decoding: b, as: UTF8.self))
    }

    @inline(__always)
    static func equals(_ b: UnsafeBufferPointer<UInt8>, _ s: StaticString) -> Bool {
        guard b.count == s.utf8CodeUnitCount else { return false }
        let p = s.utf8Start
        for i in 0..<b.count where b[i] != p[i] { return false }
        return true
    }

    /// The HL7 name of the set, as MSH-18 writes it.
    public var hl7Name: String {
        switch self {
        case .ascii: "ASCII"
        case .utf8: "UNICODE UTF-8"
        case .iso8859(let part): "8859/\(part)"
        }
    }

    /// A name for people and JSON output (`ascii`, `iso-8859-1`, `utf-8`).
    public var description: String {
        switch self {
        case .ascii: "ascii"
        case .utf8: "utf-8"
        case .iso8859(let part): "iso-8859-\(part)"
        }
    }

    /// True when `bytes` are valid in this set (every byte below 0x80 for ASCII, valid UTF-8
    /// without overlong forms or surrogates for UTF-8; single-byte sets accept every byte).
    public func accepts(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch self {
        case .ascii: return HL7CharacterSet.isASCII(bytes)
        case .utf8: return HL7CharacterSet.isValidUTF8(bytes)
        case .iso8859(let part):
            guard let table = ISO8859Tables.table(part: part) else { return true }
            for b in bytes where b >= 0xA0 && table[Int(b) - 0xA0] == 0xFFFD { return false }
            return true
        }
    }

    /// Decodes `bytes` in this set; bytes the set does not accept are decoded with `fallback`.
    public func decode(_ bytes: UnsafeBufferPointer<UInt8>, fallback: Fallback = .utf8ThenLatin1) -> String {
        if HL7CharacterSet.isASCII(bytes) {
            return String(decoding: bytes, as: UTF8.self)
        }
        switch self {
        case .iso8859(let part):
            return HL7CharacterSet.decodeSingleByte(bytes, table: ISO8859Tables.table(part: part))
        case .utf8 where HL7CharacterSet.isValidUTF8(bytes):
            return String(decoding: bytes, as: UTF8.self)
        case .ascii, .utf8:
            return HL7CharacterSet.decode(bytes, fallback: fallback)
        }
    }

    /// Decodes bytes of no declared set with `fallback`.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, fallback: Fallback) -> String {
        switch fallback {
        case .utf8ThenLatin1:
            isValidUTF8(bytes) ? String(decoding: bytes, as: UTF8.self) : decodeSingleByte(bytes, table: nil)
        case .latin1:
            decodeSingleByte(bytes, table: nil)
        case .utf8Replacing:
            String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Encodes `text` in this set; characters it cannot hold are written as `?`.
    public func encode(_ text: String) -> [UInt8] {
        switch self {
        case .utf8: return Array(text.utf8)
        case .ascii, .iso8859:
            return text.unicodeScalars.map { singleByte($0) ?? UInt8(ascii: "?") }
        }
    }

    /// `scalar` as the one byte that encodes it in this single-byte set; `nil` when the set
    /// cannot hold it, and always for UTF-8 (not a single-byte set).
    func singleByte(_ scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        switch self {
        case .utf8: return nil
        case .ascii: return v < 0x80 ? UInt8(v) : nil
        case .iso8859(let part):
            if v < 0xA0 { return UInt8(v) }
            guard let table = ISO8859Tables.table(part: part) else { return v <= 0xFF ? UInt8(v) : nil }
            // 0xFFFD marks the table's unassigned bytes, never a character they hold.
            guard v <= 0xFFFF, v != 0xFFFD, let k = table.firstIndex(of: UInt16(v)) else { return nil }
            return UInt8(0xA0 + k)
        }
    }

    @inline(__always)
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        while i + 8 <= n {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < n {
            if base[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    /// Strict UTF-8 validation: rejects overlong forms, surrogates and code points past U+10FFFF.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            let length: Int
            var lowerBound: UInt8 = 0x80
            var upperBound: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lowerBound = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upperBound = 0x9F
            case 0xF0: length = 4; lowerBound = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upperBound = 0x8F
            default: return false
            }
            guard i + length <= n else { return false }
            let b1 = bytes[i + 1]
            guard b1 >= lowerBound && b1 <= upperBound else { return false }
            for k in 2..<max(length, 2) where bytes[i + k] & 0xC0 != 0x80 { return false }
            i += length
        }
        return true
    }

    static func decodeSingleByte(_ bytes: UnsafeBufferPointer<UInt8>, table: [UInt16]?) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes {
            if b < 0xA0 || table == nil {
                s.append(Unicode.Scalar(b))
            } else {
                s.append(Unicode.Scalar(UInt32(table![Int(b) - 0xA0])) ?? "\u{FFFD}")
            }
        }
        return String(s)
    }
}
