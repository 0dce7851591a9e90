// Where the dispatcher reads and records delivery: the journaled outbox state.

/// The outbox as the dispatcher sees it. The daemon's implementation applies each change to
/// the live outbox and appends it to the journal (without waiting for the fsync: a change
/// lost in a crash only means the message is sent again, with the same MSH-10).
public protocol OutboxLedger: Sendable {
    /// What to do next for a destination.
    func nextStep(for destination: String, now: Int64) -> DeliveryStep
    /// Marks the head as being sent (journaled) and returns it; nil when there is nothing to
    /// send now.
    func startAttempt(for destination: String, now: Int64) -> OutboxEntry?
    /// Records the answer to the attempt on `entryID` under the destination's current
    /// `policy` (attempts, backoff); nil when that attempt no longer stands (the outbox was
    /// rebuilt meanwhile).
    func finishAttempt(for destination: String, entryID: String, answer: DeliveryAnswer, policy: DeliveryPolicy, now: Int64,
                       random: Double) -> OutboxChange?
}

/// Opens a connection to a destination (MLLP in the daemon; scripted in tests).
public typealias MessageTransportFactory = @Sendable (_ destination: String, _ connectTimeoutMilliseconds: Int64) async throws -> any MessageTransport
