// The journal record of one received frame (DESIGN §4: raw bytes, receipt metadata, outcome,
// and the caseload events it produced).
public import Caseload
public import Outbox

/// One frame as the daemon received and answered it: the unit of the inbound journal.
///
/// Every frame that reaches the daemon becomes one record, accepted or not (DESIGN §1.2), except
/// exact duplicates of a stored message, which are answered from the ``DuplicateIndex`` and only
/// counted. Patient content lives in ``raw`` only; the other fields are routing data that may be
/// logged.
public struct InboundRecord: Sendable, Equatable {
    /// What the daemon did with the frame.
    public enum Disposition: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// Stored and applied (AA / CA).
        case accepted = 0
        /// Parsed, but refused for its content or as unsupported (AE / AR and enhanced forms).
        case rejected = 1
        /// Not HL7, or a header that could not be parsed: kept for inspection and replay (AR).
        case quarantined = 2
        /// Deliberately not answered (an ACK sent to the listener; MSH-15 NE).
        case ignored = 3

        public var description: String {
            switch self {
            case .accepted: "accepted"
            case .rejected: "rejected"
            case .quarantined: "quarantined"
            case .ignored: "ignored"
            }
        }
    }

    /// The wire encoding of the frame.
    public enum Encoding: UInt8, Sendable, CustomStringConvertible {
        case er7 = 0
        case xml = 1
        case unknown = 2

        public var description: String {
            switch self {
            case .er7: "er7"
            case .xml: "xml"
            case .unknown: "unknown"
            }
        }
    }

    /// One ERR entry of the answer, kept for operators (no patient data).
    public struct ErrorEntry: Sendable, Equatable {
        /// HL7 table 0357 code (ERR-3).
        public var code: UInt16
        /// Location such as `PID-3` or `MSH-12`; empty when unknown.
        public var location: String
        /// The diagnostic text sent in ERR-7.
        public var text: String

        public init(code: UInt16, location: String, text: String) {
            self.code = code
            self.location = location
            self.text = text
        }
    }

    /// Microseconds since the Unix epoch when the frame's last byte arrived.
    public var receivedAtMicroseconds: Int64
    /// The listener's name (e.g. `mllp`).
    public var listener: String
    /// The peer's address, `ip:port`.
    public var peer: String
    public var disposition: Disposition
    public var encoding: Encoding
    /// MSH-3 as on the wire (raw, components kept).
    public var sendingApplication: String
    /// MSH-4 as on the wire.
    public var sendingFacility: String
    /// MSH-10 as on the wire.
    public var controlID: String
    /// MSH-9 as `TYPE^EVENT` (`ADT^A01`), empty when unknown.
    public var messageType: String
    /// MSA-1 of the answer (`AA`, `CE`, ...); empty when nothing was answered.
    public var ackCode: String
    /// True when the frame reused a stored message's key with other content (ERR 205).
    public var duplicateKeyConflict: Bool
    /// The content hash used for duplicate detection (``ContentHash``).
    public var contentHash: UInt64
    public var errors: [ErrorEntry]
    /// The ACK as sent, so that a resend gets exactly the same answer.
    public var ack: [UInt8]
    /// The frame's length on the wire (``raw`` may be cut for quarantined frames).
    public var rawLength: Int
    /// The frame's bytes (for quarantined frames at most the configured quarantine cut).
    public var raw: [UInt8]
    /// What the message did to the caseload (accepted messages only): the events and the
    /// audit sentences, stored in the same append as the message.
    public var caseload: CaseloadDecision?
    /// Outbound messages the decision made (REF^I12/I14), in the same append: the
    /// transactional outbox. Delivery starts once this record is durable.
    public var outbound: [OutboxEntry]

    public init(
        receivedAtMicroseconds: Int64, listener: String, peer: String, disposition: Disposition, encoding: Encoding,
        sendingApplication: String, sendingFacility: String, controlID: String, messageType: String,
        ackCode: String, duplicateKeyConflict: Bool = false, contentHash: UInt64, errors: [ErrorEntry] = [],
        ack: [UInt8], rawLength: Int? = nil, raw: [UInt8], caseload: CaseloadDecision? = nil, outbound: [OutboxEntry] = []
    ) {
        self.receivedAtMicroseconds = receivedAtMicroseconds
        self.listener = listener
        self.peer = peer
        self.disposition = disposition
        self.encoding = encoding
        self.sendingApplication = sendingApplication
        self.sendingFacility = sendingFacility
        self.controlID = controlID
        self.messageType = messageType
        self.ackCode = ackCode
        self.duplicateKeyConflict = duplicateKeyConflict
        self.contentHash = contentHash
        self.errors = errors
        self.ack = ack
        self.rawLength = rawLength ?? raw.count
        self.raw = raw
        self.caseload = caseload
        self.outbound = outbound
    }

    /// The duplicate-detection key of this record, when it was stored as accepted.
    public var duplicateKey: DuplicateKey? {
        guard disposition == .accepted, !controlID.isEmpty else { return nil }
        return DuplicateKey(sendingApplication: sendingApplication, sendingFacility: sendingFacility, controlID: controlID)
    }
}
