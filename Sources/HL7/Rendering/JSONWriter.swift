/// A minimal JSON writer into bytes (the HL7 target uses the standard library only).
public struct JSONWriter: Sendable {
    /// The JSON written so far, UTF-8.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Appends `text` as is (the caller guarantees it is valid JSON syntax).
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends a JSON string literal with `"`, `\` and control characters escaped.
    public mutating func string(_ value: String) {
        bytes.append(0x22)
        for b in value.utf8 {
            switch b {
            case 0x22: bytes.append(0x5C); bytes.append(0x22)
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
            case 0x0D: bytes.append(0x5C); bytes.append(0x72)
            case 0x09: bytes.append(0x5C); bytes.append(0x74)
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
    }

    /// Appends a string literal, or `null`.
    public mutating func optional(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// Appends an integer.
    public mutating func number(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Appends `"key":` (with a leading comma unless `first`).
    public mutating func key(_ key: String, first: Bool = false) {
        if !first { bytes.append(0x2C) }
        string(key)
        bytes.append(0x3A)
    }
}
