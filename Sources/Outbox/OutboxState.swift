// Every destination's queue, and the numbering of entries: what the journal rebuilds and a
// snapshot stores.

/// The outbox: one ``DestinationQueue`` per destination that ever had an entry.
///
/// Changes come in two ways, both journaled: entries are enqueued by the inbound record whose
/// decision made them (the transactional outbox), and delivery progress and operator actions
/// are ``OutboxChange``s of their own records. Applying the same records in the same order
/// gives the same state, which is how start-up resumes delivery exactly where it stood.
public struct OutboxState: Sendable, Equatable {
    /// Queues by destination name.
    public private(set) var queues: [String: DestinationQueue] = [:]
    /// The number the next entry gets (`O-<number>`): one more than the highest seen.
    public private(set) var nextNumber = 1

    public init() {}

    /// Rebuilds a state from its parts (snapshot decoding).
    public init(queues: [DestinationQueue], nextNumber: Int) {
        for queue in queues { self.queues[queue.destination] = queue }
        self.nextNumber = nextNumber
    }

    /// Destination names, sorted.
    public var destinations: [String] { queues.keys.sorted() }

    /// Entries not yet finished, over every destination.
    public var depth: Int { queues.values.reduce(0) { $0 + $1.depth } }

    /// The id the next entry will get; ``enqueue(_:)`` advances it.
    public var nextEntryID: String { "O-\(nextNumber)" }

    /// Adds a new entry at the end of its destination's queue (live, and when the record that
    /// made it is replayed). An entry already known is ignored.
    @discardableResult
    public mutating func enqueue(_ entry: OutboxEntry) -> OutboxChange {
        apply(.enqueued(entry), destination: entry.destination)
        return .enqueued(entry)
    }

    /// Applies a journaled change to a destination's queue.
    public mutating func apply(_ change: OutboxChange, destination: String) {
        if case .enqueued(let entry) = change, let number = Self.number(of: entry.id) {
            // Numbers grow in journal order: one below the next number was seen already (an
            // entry finished long ago must never be queued again).
            guard number >= nextNumber else { return }
            nextNumber = number + 1
        }
        queues[destination, default: DestinationQueue(destination: destination)].apply(change)
    }

    /// Runs `body` on a destination's queue (created empty when unknown).
    public mutating func withQueue<T, E: Error>(_ destination: String, _ body: (inout DestinationQueue) throws(E) -> T) throws(E) -> T {
        try body(&queues[destination, default: DestinationQueue(destination: destination)])
    }

    /// After a restart nothing is in flight: attempts that were are pending again.
    public mutating func resetInFlight() {
        for name in queues.keys { queues[name]?.resetInFlight() }
    }

    /// An entry by id: open ones first, then the recently finished.
    public func entry(_ id: String) -> OutboxEntry? {
        for queue in queues.values {
            if let entry = queue.open.first(where: { $0.id == id }) ?? queue.recent.last(where: { $0.id == id }) { return entry }
        }
        return nil
    }

    /// The destination of an open entry.
    public func destination(ofOpen id: String) -> String? {
        queues.values.first { $0.open.contains { $0.id == id } }?.destination
    }

    /// The number in `O-<number>`.
    static func number(of id: String) -> Int? {
        guard id.hasPrefix("O-") else { return nil }
        return Int(id.dropFirst(2))
    }
}
