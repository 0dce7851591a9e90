// The outbox as JSON, for `/api/v1/outbox` and `switchboard outbox`.
import Caseload
import DequeModule
public import Outbox

/// JSON shapes of the outbox (snake_case keys, ISO 8601 times).
public enum OutboxViews {
    /// One destination's queue in figures.
    public struct DestinationView: Codable, Sendable, Equatable {
        public var destination: String
        public var depth: Int
        public var pending: Int
        public var deadLetters: Int
        public var inFlight: String?
        public var oldestCreatedAt: String?
        public var recentlyFinished: Int

        enum CodingKeys: String, CodingKey {
            case destination, depth, pending
            case deadLetters = "dead_letters", inFlight = "in_flight", oldestCreatedAt = "oldest_created_at"
            case recentlyFinished = "recently_finished"
        }
    }

    /// One entry (with its message for `show`).
    public struct EntryView: Codable, Sendable, Equatable {
        public var id: String
        public var destination: String
        public var status: String
        public var controlID: String
        public var subject: String
        public var attempts: Int
        public var createdAt: String
        public var nextAttemptAt: String?
        public var lastOutcome: String
        public var message: String?

        enum CodingKeys: String, CodingKey {
            case id, destination, status, subject, attempts, message
            case controlID = "control_id", createdAt = "created_at", nextAttemptAt = "next_attempt_at", lastOutcome = "last_outcome"
        }
    }

    /// The whole outbox: per destination, then the entries (open ones, and with `recent` the
    /// recently finished), filtered by destination and status.
    public struct ListView: Codable, Sendable, Equatable {
        public var destinations: [DestinationView]
        public var entries: [EntryView]
    }

    /// At most `limit` entries, oldest first per destination (the figures count them all): the
    /// API reads under the caseload lock, and a queue can hold an outage's worth of messages.
    public static func list(_ outbox: borrowing OutboxState, destination: String? = nil, status: String? = nil, recent: Bool = false,
                            limit: Int = 1_000) -> ListView {
        var destinations: [DestinationView] = []
        var entries: [EntryView] = []
        for name in outbox.destinations where destination == nil || destination == name {
            guard let queue = outbox.queues[name] else { continue }
            let dead = queue.deadLetters
            destinations.append(DestinationView(
                destination: name, depth: queue.depth, pending: queue.depth - dead, deadLetters: dead, inFlight: queue.inFlight,
                oldestCreatedAt: queue.oldestCreatedAt.map(time), recentlyFinished: queue.recent.count))
            func add(_ entry: OutboxEntry) -> Bool {
                guard entries.count < limit else { return false }
                if status == nil || "\(entry.status)" == status { entries.append(view(entry, withMessage: false)) }
                return true
            }
            for entry in queue.open { if !add(entry) { break } }
            if recent {
                for entry in queue.recent { if !add(entry) { break } }
            }
        }
        return ListView(destinations: destinations, entries: entries)
    }

    public static func view(_ entry: OutboxEntry, withMessage: Bool) -> EntryView {
        EntryView(
            id: entry.id, destination: entry.destination, status: "\(entry.status)", controlID: entry.controlID, subject: entry.subject,
            attempts: entry.attempts, createdAt: time(entry.createdAt),
            nextAttemptAt: entry.status == .pending && entry.notBefore > entry.createdAt ? time(entry.notBefore) : nil,
            lastOutcome: entry.lastOutcome,
            message: withMessage ? String(decoding: entry.payload.map { $0 == 0x0D ? 0x0A : $0 }, as: UTF8.self) : nil)
    }

    /// Milliseconds since the epoch as ISO 8601.
    static func time(_ milliseconds: Int64) -> String { BusinessCalendar.isoTimestamp(milliseconds / 1000) }
}
