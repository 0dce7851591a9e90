/// HL7 table 0357, "Message error condition codes", as carried in ERR-3 (v2.5+) or ERR-1.4.
public struct HL7ErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// The numeric code, e.g. 207.
    public var code: Int
    /// The table's text for the code.
    public var text: String

    public init(code: Int, text: String) {
        self.code = code
        self.text = text
    }

    /// 0: message accepted.
    public static let messageAccepted = HL7ErrorCode(code: 0, text: "Message accepted")
    /// 100: segment sequence error (also: not HL7, unparseable).
    public static let segmentSequenceError = HL7ErrorCode(code: 100, text: "Segment sequence error")
    /// 101: a required field is missing.
    public static let requiredFieldMissing = HL7ErrorCode(code: 101, text: "Required field missing")
    /// 102: a value does not fit its data type.
    public static let dataTypeError = HL7ErrorCode(code: 102, text: "Data type error")
    /// 103: a coded value is not in its table.
    public static let tableValueNotFound = HL7ErrorCode(code: 103, text: "Table value not found")
    /// 104: a value is longer than allowed.
    public static let valueTooLong = HL7ErrorCode(code: 104, text: "Value too long")
    /// 200: unsupported message type.
    public static let unsupportedMessageType = HL7ErrorCode(code: 200, text: "Unsupported message type")
    /// 201: unsupported event code.
    public static let unsupportedEventCode = HL7ErrorCode(code: 201, text: "Unsupported event code")
    /// 202: unsupported processing id.
    public static let unsupportedProcessingID = HL7ErrorCode(code: 202, text: "Unsupported processing id")
    /// 203: unsupported version id.
    public static let unsupportedVersionID = HL7ErrorCode(code: 203, text: "Unsupported version id")
    /// 204: unknown key identifier.
    public static let unknownKeyIdentifier = HL7ErrorCode(code: 204, text: "Unknown key identifier")
    /// 205: duplicate key identifier.
    public static let duplicateKeyIdentifier = HL7ErrorCode(code: 205, text: "Duplicate key identifier")
    /// 206: application record locked.
    public static let applicationRecordLocked = HL7ErrorCode(code: 206, text: "Application record locked")
    /// 207: application internal error (storage failure, overload).
    public static let applicationInternalError = HL7ErrorCode(code: 207, text: "Application internal error")

    public var description: String { "\(code) \(text)" }
}
