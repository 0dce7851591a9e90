/// An address of a value in a message: `PID-3[2].4.1`, `MSH-9.2`, `OBX[3]-5`.
///
/// Segment, then `-field`, then optional `[repetition]`, `.component`, `.subcomponent`; all
/// numbers 1-based. A segment occurrence goes in brackets after the id (`OBX[3]`, default 1).
/// Fields are numbered as HL7 does: MSH-1 is the field separator, MSH-2 the encoding characters.
/// Parentheses are accepted for repetitions too (`PID-3(2)`).
public struct HL7Path: Hashable, Sendable, CustomStringConvertible {
    /// The three id bytes.
    public let segmentID: (UInt8, UInt8, UInt8)
    /// Which occurrence of the segment (1-based).
    public var occurrence: Int
    /// The field number (1-based).
    public var field: Int
    /// The repetition (1-based), `nil` when the path does not name one.
    public var repetition: Int?
    /// The component (1-based), `nil` when the path stops at the field or repetition.
    public var component: Int?
    /// The subcomponent (1-based), `nil` when the path stops above it.
    public var subcomponent: Int?

    /// Parses a path.
    /// - Throws: ``HL7ParseError`` with code `.invalidPath` naming the offending position.
    public init(_ text: String) throws(HL7ParseError) {
        let bytes = Array(text.utf8)
        var i = 0
        func fail(_ why: String) -> HL7ParseError {
            HL7ParseError(.invalidPath, "invalid path '\(text)': \(why)", offset: i)
        }
        func number() throws(HL7ParseError) -> Int {
            var value = 0
            let start = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39, i - start < 7 {
                value = value * 10 + Int(bytes[i] - 0x30)
                i += 1
            }
            guard i > start else { throw fail("expected a number at position \(i + 1)") }
            guard value >= 1 else { throw fail("positions are numbered from 1") }
            return value
        }
        func bracketed() throws(HL7ParseError) -> Int? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "[") || bytes[i] == UInt8(ascii: "(") else { return nil }
            let close = bytes[i] == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: ")")
            i += 1
            let n = try number()
            guard i < bytes.count, bytes[i] == close else { throw fail("expected '\(Character(Unicode.Scalar(close)))' at position \(i + 1)") }
            i += 1
            return n
        }
        guard bytes.count >= 5 else { throw fail("expected SEG-n") }
        for k in 0..<3 {
            let b = bytes[k]
            let ok = (b >= 0x41 && b <= 0x5A) || (k > 0 && b >= 0x30 && b <= 0x39)
            guard ok else { i = k; throw fail("segment id must be 3 upper-case letters or digits") }
        }
        segmentID = (bytes[0], bytes[1], bytes[2])
        i = 3
        occurrence = try bracketed() ?? 1
        guard i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: ".") else {
            throw fail("expected '-' after the segment at position \(i + 1)")
        }
        i += 1
        field = try number()
        repetition = try bracketed()
        component = nil
        subcomponent = nil
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            component = try number()
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                subcomponent = try number()
            }
        }
        guard i == bytes.count else { throw fail("unexpected text at position \(i + 1)") }
    }

    /// The segment id as text.
    public var segment: String {
        String(decoding: [segmentID.0, segmentID.1, segmentID.2], as: UTF8.self)
    }

    public var description: String {
        var s = segment
        if occurrence != 1 { s += "[\(occurrence)]" }
        s += "-\(field)"
        if let repetition { s += "[\(repetition)]" }
        if let component { s += ".\(component)" }
        if let subcomponent { s += ".\(subcomponent)" }
        return s
    }

    public static func == (a: HL7Path, b: HL7Path) -> Bool { a.description == b.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }
}

extension HL7Path: ExpressibleByStringLiteral {
    /// A path written in code. A malformed literal is a programming error and traps.
    public init(stringLiteral value: String) {
        do {
            try self.init(value)
        } catch {
            preconditionFailure(error.description)
        }
    }
}
