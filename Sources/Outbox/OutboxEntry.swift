// One outbound message waiting for, or past, its delivery.

/// A message for a destination, with its delivery state. Values only: the journal records every
/// change (``OutboxChange``), and replaying the changes rebuilds the queue.
public struct OutboxEntry: Sendable, Hashable, Identifiable {
    public enum Status: UInt8, Sendable, Hashable, CustomStringConvertible {
        /// Waiting its turn, or for its next attempt.
        case pending = 0
        /// Acknowledged AA/CA by the destination.
        case delivered = 1
        /// Refused (AE/CE) or out of attempts: waits for an operator (retry or drop).
        case deadLettered = 2
        /// Dropped by an operator.
        case dropped = 3

        public var description: String { ["pending", "delivered", "dead-lettered", "dropped"][Int(rawValue)] }
    }

    /// Unique in the outbox (`O-1`, `O-2`, ...), in order of creation.
    public var id: String
    /// The destination's configured name (`home-health`).
    public var destination: String
    /// MSH-10 of the message: assigned once, the same on every attempt and after restarts.
    public var controlID: String
    /// The frame payload (ER7 or XML), as it is sent on every attempt.
    public var payload: [UInt8]
    /// What it is about (a referral id), for operators.
    public var subject: String
    public var status: Status
    /// Sends so far.
    public var attempts: Int
    /// Milliseconds since the epoch: when it was created, and when it may next be sent.
    public var createdAt: Int64
    public var notBefore: Int64
    /// The last answer or failure, in words (`AR 207 ...`, `no answer within 30 s`).
    public var lastOutcome: String

    public init(id: String, destination: String, controlID: String, payload: [UInt8], subject: String = "", createdAt: Int64) {
        self.id = id
        self.destination = destination
        self.controlID = controlID
        self.payload = payload
        self.subject = subject
        status = .pending
        attempts = 0
        self.createdAt = createdAt
        notBefore = createdAt
        lastOutcome = ""
    }
}
