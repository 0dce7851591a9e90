// What the pipeline did with one frame: the answer and the routing facts for logs and metrics.
public import CaseloadStore

/// The receipt of a frame: where and when it arrived.
public struct InboundReceipt: Sendable {
    /// The listener's name (`mllp`, `mllp-tls`, ...).
    public var listener: String
    /// The peer's address, `ip:port`.
    public var peer: String
    /// Microseconds since the Unix epoch when the frame was complete.
    public var receivedAtMicroseconds: Int64

    public init(listener: String, peer: String, receivedAtMicroseconds: Int64) {
        self.listener = listener
        self.peer = peer
        self.receivedAtMicroseconds = receivedAtMicroseconds
    }
}

/// The outcome of one frame. Holds no patient data: every field may be logged.
public struct InboundResult: Sendable {
    /// The ACK to send back, or `nil` when nothing is to be sent (an ACK received; MSH-15 NE).
    public var ack: [UInt8]?
    /// MSA-1 of the answer (or of the answer that would have been sent).
    public var ackCode: String
    /// How the frame was journaled; `nil` when it was not (duplicate, storage failure, overload).
    public var disposition: InboundRecord.Disposition?
    /// The journal sequence of its record, when it was journaled.
    public var sequence: UInt64?
    /// True when answered from the duplicate index with the original ACK.
    public var duplicate: Bool
    /// MSH-9 as `TYPE^EVENT`, when known.
    public var messageType: String
    /// MSH-10, when known.
    public var controlID: String
    /// HL7 table 0357 codes of the ERR segments sent.
    public var errorCodes: [Int]
    /// The frame's size in bytes.
    public var bytes: Int
    /// Why storage failed, when it did (for the operator's log; no patient data).
    public var storageFailure: String?
}
