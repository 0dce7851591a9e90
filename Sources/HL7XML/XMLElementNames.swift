/// What HL7 v2.xml element names mean (`../shared/conformance/README.md`, "XML messages"),
/// read from libxml2's name bytes without making strings.
enum XMLElementNames {
    /// `[A-Z][A-Z0-9]{2}`: a segment (`PID`, `ZPI`, `MSH`).
    static func isSegmentID(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        name.count == 3 && isUpper(name[0]) && (isUpper(name[1]) || isDigit(name[1])) && (isUpper(name[2]) || isDigit(name[2]))
    }

    /// A message structure name: `ACK`, `ADT_A01`, `QRY_R02`… (`[A-Z][A-Z0-9]{2}(_[A-Z0-9_]+)?`),
    /// but never a bare header segment (`MSH`, `FHS`, `BHS`).
    static func isMessageName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count >= 3, isSegmentID(UnsafeBufferPointer(rebasing: name[0..<3])) else { return false }
        if name.count == 3 {
            let header = (name[0] == 0x4D && name[1] == 0x53 && name[2] == 0x48)            // MSH
                || (name[1] == 0x48 && name[2] == 0x53 && (name[0] == 0x46 || name[0] == 0x42)) // FHS, BHS
            return !header
        }
        guard name[3] == 0x5F, name.count > 4 else { return false }
        return name[4...].allSatisfy { isUpper($0) || isDigit($0) || $0 == 0x5F }
    }

    /// `n` of `SEG.n` for segment `id` (`PID.3` → 3); `nil` for any other name.
    static func fieldNumber(_ name: UnsafeBufferPointer<UInt8>, segment id: UnsafeBufferPointer<UInt8>) -> Int? {
        guard name.count >= 5, id.count == 3, name[0] == id[0], name[1] == id[1], name[2] == id[2], name[3] == 0x2E else { return nil }
        return number(name, from: 4)
    }

    /// `k` of `TYPE.k`, whatever the type name (`CX.1` → 1, `varies.2` → 2); `nil` otherwise.
    static func position(_ name: UnsafeBufferPointer<UInt8>) -> Int? {
        var dot = name.count - 1
        while dot > 0, name[dot] != 0x2E { dot -= 1 }
        guard dot > 0 else { return nil }
        return number(name, from: dot + 1)
    }

    /// The decimal number filling `name[start...]`: 1 to 7 digits, no leading zero, not 0.
    static func number(_ name: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let digits = name.count - start
        guard digits >= 1, digits <= 7, name[start] != 0x30 else { return nil }
        var n = 0
        for i in start..<name.count {
            let b = name[i]
            guard isDigit(b) else { return nil }
            n = n * 10 + Int(b - 0x30)
        }
        return n
    }

    static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Space, tab, CR and LF only (or nothing): white space between elements.
    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// Up to 64 bytes of a name or value, for error messages.
    static func string(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.prefix(64), as: UTF8.self)
    }

    /// A byte for error messages: `'|'` or `0x0A`.
    static func describe(_ b: UInt8) -> String {
        b > 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "0x" + String(b, radix: 16, uppercase: true)
    }
}
