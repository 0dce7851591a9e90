// HL7 and HL7XML are compiled as one module for the fuzzer (scripts/fuzz.sh).
#if canImport(HL7)
public import HL7
#endif

/// Why an HL7 v2.xml document was refused, and where.
///
/// Carries what went wrong (``code``, ``message``), where (``line`` and ``byteOffset`` in the
/// document, when known) and the HL7 table 0357 code an ACK should carry (``hl7ErrorCode``):
/// 100 when the document is not an HL7 message (not well-formed, DOCTYPE, wrong root, no MSH,
/// limits), 102 when a value or element inside a segment does not fit.
public struct HL7XMLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// libxml2 refused the document: not well-formed, bad encoding, or its own limits.
        public static let notWellFormed = Code(name: "not well-formed")
        /// A DOCTYPE, entity reference or other construct Switchboard never accepts (XXE, DTDs).
        public static let forbiddenConstruct = Code(name: "forbidden construct")
        /// The document is larger than the configured maximum, or a value is too long.
        public static let tooLarge = Code(name: "too large")
        /// Elements are nested deeper than the configured maximum.
        public static let tooDeep = Code(name: "too deep")
        /// The document is not an HL7 v2.xml message (wrong root, namespace, no MSH).
        public static let notHL7 = Code(name: "not an HL7 message")
        /// An element inside a segment is not `SEG.n` / `TYPE.k`, or a position is repeated.
        public static let unexpectedElement = Code(name: "unexpected element")
        /// A value cannot be expressed in ER7 (bad MSH.1/MSH.2, bad escape element).
        public static let invalidValue = Code(name: "invalid value")
        /// The equivalent ER7 message failed to parse (see ``HL7XMLError/parseError``).
        public static let invalidMessage = Code(name: "invalid message")
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence for people.
    public var message: String
    /// 1-based line in the document, when known.
    public var line: Int?
    /// Byte offset in the document, when known.
    public var byteOffset: Int?
    /// The ER7 parse error behind ``Code/invalidMessage``.
    public var parseError: HL7ParseError?

    public init(_ code: Code, _ message: String, line: Int? = nil, byteOffset: Int? = nil, parseError: HL7ParseError? = nil) {
        self.code = code
        self.message = message
        self.line = line
        self.byteOffset = byteOffset
        self.parseError = parseError
    }

    /// The HL7 table 0357 code an ACK should carry for this failure.
    public var hl7ErrorCode: HL7ErrorCode {
        switch code {
        case .unexpectedElement, .invalidValue: .dataTypeError
        case .invalidMessage: parseError?.hl7ErrorCode ?? .segmentSequenceError
        default: .segmentSequenceError
        }
    }

    public var description: String {
        var position: [String] = []
        if let line { position.append("line \(line)") }
        if let byteOffset { position.append("byte offset \(byteOffset)") }
        return "\(code): \(message)" + (position.isEmpty ? "" : " (" + position.joined(separator: ", ") + ")")
    }
}
