// The delivery state machine of one destination: in order, one message in flight, retries with
// backoff, dead letters. Pure: time and randomness come in as arguments, and every change it
// makes is returned as an ``OutboxChange`` for the journal.
public import DequeModule

/// What the dispatcher should do next for a destination.
public enum DeliveryStep: Sendable, Equatable {
    /// Send this entry now (it is the oldest pending one).
    case send(OutboxEntry)
    /// Nothing may be sent before this time (the head is backing off).
    case wait(until: Int64)
    /// Nothing to send: empty, or the head is dead-lettered and blocks the queue until an
    /// operator retries or drops it.
    case idle
}

/// The answer to a sent frame, as the transport saw it.
public enum DeliveryAnswer: Sendable, Equatable {
    /// An ACK: MSA-1 and MSA-2.
    case ack(code: String, controlID: String)
    /// No usable answer (timeout, connection closed, refused, not an ACK), in words.
    case none(String)
}

/// A change to journal (and apply on replay).
public enum OutboxChange: Sendable, Equatable {
    case enqueued(OutboxEntry)
    /// An attempt starts (the attempt count is journaled before the frame leaves, so a crash
    /// mid-attempt still counts it).
    case attempted(id: String, attempt: Int, at: Int64)
    case delivered(id: String, at: Int64, outcome: String)
    case retryScheduled(id: String, notBefore: Int64, outcome: String)
    case deadLettered(id: String, at: Int64, outcome: String)
    /// An operator put a dead letter back in line (attempts start again).
    case retried(id: String, at: Int64)
    case dropped(id: String, at: Int64)

    public var entryID: String {
        switch self {
        case .enqueued(let entry): entry.id
        case .attempted(let id, _, _), .delivered(let id, _, _), .retryScheduled(let id, _, _), .deadLettered(let id, _, _),
             .retried(let id, _), .dropped(let id, _): id
        }
    }
}

/// Why an operator action was refused.
public enum OutboxActionError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownEntry(String)
    case notDeadLettered(String, OutboxEntry.Status)
    case finished(String, OutboxEntry.Status)
    /// The entry is being sent right now.
    case inFlight(String)

    public var description: String {
        switch self {
        case .unknownEntry(let id): "no outbox entry \(id)"
        case .notDeadLettered(let id, let status): "\(id) is \(status): only dead letters are retried"
        case .finished(let id, let status): "\(id) is already \(status)"
        case .inFlight(let id): "\(id) is being sent right now; try again once the attempt is answered"
        }
    }
}

/// One destination's queue.
public struct DestinationQueue: Sendable, Equatable {
    public let destination: String
    public var policy: DeliveryPolicy
    /// Entries not yet finished (pending or dead-lettered), oldest first (a deque: the head
    /// leaves in O(1) however long an outage made the queue).
    public private(set) var open: Deque<OutboxEntry> = []
    /// The entry being sent, if any (always the head of ``open``).
    public private(set) var inFlight: String?
    /// The latest finished entries (delivered or dropped), newest last, at most
    /// ``recentLimit``: what `outbox show` can still tell about a finished message.
    public private(set) var recent: Deque<OutboxEntry> = []
    public static let recentLimit = 1_000

    public init(destination: String, policy: DeliveryPolicy = DeliveryPolicy()) {
        self.destination = destination
        self.policy = policy
    }

    /// A queue from its parts (snapshot decoding); nothing in flight.
    public init(destination: String, open: [OutboxEntry], recent: [OutboxEntry]) {
        self.destination = destination
        self.policy = DeliveryPolicy()
        self.open = Deque(open)
        self.recent = Deque(recent.suffix(Self.recentLimit))
    }

    /// Messages waiting (pending or dead-lettered).
    public var depth: Int { open.count }

    /// Dead letters waiting for an operator: 0 or 1, since a dead letter holds its queue (only
    /// the head can be one).
    public var deadLetters: Int { open.first?.status == .deadLettered ? 1 : 0 }

    /// The oldest unfinished entry's creation time.
    public var oldestCreatedAt: Int64? { open.first?.createdAt }

    public func nextStep(now: Int64) -> DeliveryStep {
        guard inFlight == nil, let head = open.first else { return .idle }
        switch head.status {
        case .pending: return head.notBefore <= now ? .send(head) : .wait(until: head.notBefore)
        default: return .idle
        }
    }

    // MARK: Changes (each returns what to journal; `apply` replays it)

    public mutating func enqueue(_ entry: OutboxEntry) -> OutboxChange {
        let change = OutboxChange.enqueued(entry)
        apply(change)
        return change
    }

    /// The head is about to be sent.
    public mutating func startAttempt(now: Int64) -> OutboxChange? {
        guard case .send(let head) = nextStep(now: now) else { return nil }
        let change = OutboxChange.attempted(id: head.id, attempt: head.attempts + 1, at: now)
        apply(change)
        return change
    }

    /// The answer to the attempt in flight. AA/CA: delivered. AE/CE: dead letter (the partner
    /// refused the content; sending it again cannot help). AR/CR, no answer, or an ACK for
    /// another message (stale: MSA-2 is not our MSH-10): retry after the backoff, or dead letter
    /// once the attempts are used up.
    public mutating func finishAttempt(_ answer: DeliveryAnswer, now: Int64, random: Double) -> OutboxChange? {
        guard let id = inFlight, let head = open.first, head.id == id else { return nil }
        let change: OutboxChange
        switch answer {
        case .ack(let code, let controlID) where controlID == head.controlID:
            switch code {
            case "AA", "CA": change = .delivered(id: id, at: now, outcome: code)
            case "AE", "CE": change = .deadLettered(id: id, at: now, outcome: "\(code): the destination refused the message")
            default: change = failed(head, outcome: "\(code): the destination could not take the message", now: now, random: random)
            }
        case .ack(let code, let controlID):
            change = failed(head, outcome: "\(code) for \(controlID), not for \(head.controlID): stale answer discarded", now: now, random: random)
        case .none(let reason):
            change = failed(head, outcome: reason, now: now, random: random)
        }
        apply(change)
        return change
    }

    private func failed(_ head: OutboxEntry, outcome: String, now: Int64, random: Double) -> OutboxChange {
        if head.attempts >= policy.maxAttempts {
            return .deadLettered(id: head.id, at: now, outcome: "\(outcome); \(head.attempts) attempts used")
        }
        return .retryScheduled(id: head.id, notBefore: now + policy.backoff(afterAttempt: head.attempts, random: random), outcome: outcome)
    }

    /// An operator sends a dead letter again (its attempts start over).
    public mutating func retry(_ id: String, now: Int64) throws(OutboxActionError) -> OutboxChange {
        guard let entry = open.first(where: { $0.id == id }) else { throw .unknownEntry(id) }
        guard entry.status == .deadLettered else { throw .notDeadLettered(id, entry.status) }
        let change = OutboxChange.retried(id: id, at: now)
        apply(change)
        return change
    }

    /// An operator gives up on an entry (not while it is being sent).
    public mutating func drop(_ id: String, now: Int64) throws(OutboxActionError) -> OutboxChange {
        guard let entry = open.first(where: { $0.id == id }) else { throw .unknownEntry(id) }
        guard inFlight != id else { throw .inFlight(id) }
        guard entry.status == .pending || entry.status == .deadLettered else { throw .finished(id, entry.status) }
        let change = OutboxChange.dropped(id: id, at: now)
        apply(change)
        return change
    }

    /// Applies a journaled change (live, and when the journal is replayed at start-up: an
    /// attempt that was in flight at a crash is then simply pending again, with its count).
    public mutating func apply(_ change: OutboxChange) {
        switch change {
        case .enqueued(let entry):
            // Entries are numbered in the order they are made and journaled: one not after the
            // tail was seen already (O(1), however long the queue).
            if let last = open.last, let lastNumber = OutboxState.number(of: last.id), let number = OutboxState.number(of: entry.id),
               number <= lastNumber { return }
            if open.last?.id == entry.id { return }
            open.append(entry)
        case .attempted(let id, let attempt, _):
            update(id) { $0.attempts = attempt }
            inFlight = id
        case .delivered(let id, _, let outcome):
            finish(id, .delivered, outcome)
        case .retryScheduled(let id, let notBefore, let outcome):
            update(id) {
                $0.notBefore = notBefore
                $0.lastOutcome = outcome
            }
            if inFlight == id { inFlight = nil }
        case .deadLettered(let id, _, let outcome):
            update(id) {
                $0.status = .deadLettered
                $0.lastOutcome = outcome
            }
            if inFlight == id { inFlight = nil }
        case .retried(let id, let at):
            update(id) {
                $0.status = .pending
                $0.attempts = 0
                $0.notBefore = at
            }
        case .dropped(let id, _):
            finish(id, .dropped, "dropped by an operator")
        }
    }

    /// After a restart: nothing is in flight any more (the attempt that was is counted and will
    /// be sent again, with the same control id).
    public mutating func resetInFlight() { inFlight = nil }

    private mutating func update(_ id: String, _ body: (inout OutboxEntry) -> Void) {
        guard let index = open.firstIndex(where: { $0.id == id }) else { return }
        body(&open[index])
    }

    private mutating func finish(_ id: String, _ status: OutboxEntry.Status, _ outcome: String) {
        guard let index = open.firstIndex(where: { $0.id == id }) else { return }
        var entry = open.remove(at: index)
        entry.status = status
        entry.lastOutcome = outcome
        recent.append(entry)
        while recent.count > Self.recentLimit { recent.removeFirst() }
        if inFlight == id { inFlight = nil }
    }
}
