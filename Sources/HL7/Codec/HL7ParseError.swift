/// Why ER7 bytes could not be parsed, and where.
///
/// Errors carry what went wrong (``code``, ``message``), where (segment index, field number,
/// byte offset from the start of the input) and the offending bytes (at most 32), so a CLI can
/// print `file:offset` and the daemon can fill an ERR segment with the HL7 table 0357 code.
public struct HL7ParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of parse failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The input is empty or holds only white space.
        public static let empty = Code(name: "empty")
        /// The input does not start with an MSH (or FHS/BHS) header segment.
        public static let missingHeader = Code(name: "missing header")
        /// MSH-1/MSH-2 are missing, malformed or repeat a character.
        public static let invalidDelimiters = Code(name: "invalid delimiters")
        /// A segment id is not three upper-case letters or digits starting with a letter.
        public static let invalidSegmentID = Code(name: "invalid segment id")
        /// More segments than the configured limit.
        public static let tooManySegments = Code(name: "too many segments")
        /// The input is larger than the configured or representable limit.
        public static let tooLarge = Code(name: "too large")
        /// One message was expected but the input holds several MSH segments.
        public static let multipleMessages = Code(name: "multiple messages")
        /// Batch structure (FHS/BHS/BTS/FTS) out of order, or segments outside any message.
        public static let segmentSequence = Code(name: "segment sequence")
        /// Bytes are not valid in the declared character set.
        public static let invalidEncoding = Code(name: "invalid character encoding")
        /// A value path such as `PID-3[2].1` is malformed or out of range.
        public static let invalidPath = Code(name: "invalid path")
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence for people.
    public var message: String
    /// Byte offset in the input where the problem was found.
    public var byteOffset: Int
    /// Zero-based index of the segment (as counted after blank lines are dropped), when known.
    public var segmentIndex: Int?
    /// One-based field number (MSH-1 is the field separator), when known.
    public var field: Int?
    /// Up to 32 bytes of the input starting at ``byteOffset``.
    public var offendingBytes: [UInt8]

    /// The HL7 table 0357 error code an ACK should carry for this failure.
    public var hl7ErrorCode: HL7ErrorCode {
        switch code {
        case .invalidDelimiters, .invalidEncoding: .dataTypeError
        default: .segmentSequenceError
        }
    }

    /// Creates an error and captures up to 32 offending bytes from `bytes` at `offset`.
    public init(_ code: Code, _ message: String, bytes: UnsafeBufferPointer<UInt8>, offset: Int, segmentIndex: Int? = nil, field: Int? = nil) {
        self.code = code
        self.message = message
        self.byteOffset = offset
        self.segmentIndex = segmentIndex
        self.field = field
        let lower = min(max(offset, 0), bytes.count)
        self.offendingBytes = Array(bytes[lower..<min(lower + 32, bytes.count)])
    }

    /// Creates an error without offending bytes.
    public init(_ code: Code, _ message: String, offset: Int = 0, segmentIndex: Int? = nil, field: Int? = nil) {
        self.code = code
        self.message = message
        self.byteOffset = offset
        self.segmentIndex = segmentIndex
        self.field = field
        self.offendingBytes = []
    }

    public var description: String {
        "\(message) (byte offset \(byteOffset)" + positionText + ")" + nearText
    }

    /// The message with segment and field but without the byte offset, for callers that print
    /// the offset themselves (`file:offset: …`).
    public var descriptionWithoutOffset: String {
        let position = positionText
        return message + (position.isEmpty ? "" : " (" + position.dropFirst(2) + ")") + nearText
    }

    var positionText: String {
        var out = ""
        if let segmentIndex { out += ", segment \(segmentIndex + 1)" }
        if let field { out += ", field \(field)" }
        return out
    }

    var nearText: String {
        offendingBytes.isEmpty ? "" : " near \"" + HL7ParseError.printable(offendingBytes) + "\""
    }

    /// Renders bytes with control and non-ASCII bytes as `\xHH`, CR as `\r`, LF as `\n`.
    static func printable(_ bytes: [UInt8]) -> String {
        var s = ""
        for b in bytes {
            switch b {
            case 13: s += "\\r"
            case 10: s += "\\n"
            case 0x20..<0x7F: s.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = String(b, radix: 16, uppercase: true)
                s += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return s
    }
}
