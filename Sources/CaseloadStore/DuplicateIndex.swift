// Duplicate detection across connections and restarts (DESIGN §1.3, §4).
import Synchronization

/// What identifies a message for duplicate detection: MSH-3 + MSH-4 + MSH-10, raw as on the wire.
public struct DuplicateKey: Hashable, Sendable, CustomStringConvertible {
    public var sendingApplication: String
    public var sendingFacility: String
    public var controlID: String

    public init(sendingApplication: String, sendingFacility: String, controlID: String) {
        self.sendingApplication = sendingApplication
        self.sendingFacility = sendingFacility
        self.controlID = controlID
    }

    public var description: String { "\(sendingApplication)|\(sendingFacility)|\(controlID)" }
}

/// The stored messages' keys and the ACK each got, so that a resend is answered with the
/// original ACK and changes nothing.
///
/// Only *accepted* messages are indexed: a rejected message may be corrected and resent under the
/// same control id, and must then be judged again. A message in flight (appended, not yet
/// durable) is `pending`: a copy arriving meanwhile waits for its outcome instead of being stored
/// twice.
///
/// Retention: entries older than ``Configuration/retentionSeconds`` (by receipt time) or beyond
/// ``Configuration/maxEntries`` (oldest first) are forgotten; a resend after that is stored
/// again. The index is rebuilt at start-up from the journal records inside the window.
///
/// Shared by every connection's event loop: a `Mutex` guards a dictionary, held for a hash
/// lookup only (no I/O, no allocation beyond the entry), which is cheaper on the per-message path
/// than an actor hop.
public final class DuplicateIndex: Sendable {
    /// Limits of the index.
    public struct Configuration: Sendable, Equatable {
        /// How long a stored key is remembered. Default 7 days: longer than any sender's resend
        /// horizon (they resend within minutes after a lost ACK).
        public var retentionSeconds: Int64 = 7 * 24 * 3600
        /// At most this many keys (about 200 bytes each with the ACK). Default 1,000,000.
        public var maxEntries: Int = 1_000_000

        public init(retentionSeconds: Int64 = 7 * 24 * 3600, maxEntries: Int = 1_000_000) {
            self.retentionSeconds = retentionSeconds
            self.maxEntries = maxEntries
        }
    }

    /// How a waiting copy learns the original's fate.
    public enum Resolution: Sendable, Equatable {
        /// The original was stored; answer with this ACK.
        case stored(ack: [UInt8])
        /// The original could not be stored: nothing is stored under the key.
        case failed
    }

    /// The answer to ``claim(_:hash:waiter:)``.
    public enum Claim: Sendable, Equatable {
        /// Not seen: the caller now owns the key and must ``commit(_:ack:sequence:receivedAtMicroseconds:)``
        /// or ``abandon(_:)`` it.
        case new
        /// A stored message with the same bytes: answer with its ACK.
        case duplicate(ack: [UInt8], sequence: UInt64)
        /// The key is stored (or in flight) with other content.
        case conflict(originalSequence: UInt64?)
        /// The same message is in flight; `waiter` will be called once with its fate.
        case waiting
    }

    private enum Entry {
        case pending(hash: UInt64, waiters: [@Sendable (Resolution) -> Void])
        case stored(hash: UInt64, ack: [UInt8], sequence: UInt64)
    }

    /// A stored key in the retention FIFO (a struct, not a tuple: no runtime tuple metadata on
    /// the per-message path).
    private struct Remembered {
        var key: DuplicateKey
        var receivedAt: Int64
        var sequence: UInt64
    }

    private struct State: ~Copyable {
        var entries: [DuplicateKey: Entry] = [:]
        /// Stored keys in receipt order, for retention.
        var order: [Remembered] = []
        var orderHead = 0
        var storedCount = 0
    }

    public let configuration: Configuration
    private let state = Mutex(State())

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Stored keys currently remembered (pending ones excluded).
    public var count: Int { state.withLock { $0.storedCount } }

    /// Looks `key` up for a message whose bytes hash to `hash`, claiming it when new.
    public func claim(_ key: DuplicateKey, hash: UInt64, waiter: @escaping @Sendable (Resolution) -> Void) -> Claim {
        state.withLock { state in
            switch state.entries[key] {
            case nil:
                state.entries[key] = .pending(hash: hash, waiters: [])
                return .new
            case .stored(let storedHash, let ack, let sequence):
                return storedHash == hash ? .duplicate(ack: ack, sequence: sequence) : .conflict(originalSequence: sequence)
            case .pending(let pendingHash, var waiters):
                guard pendingHash == hash else { return .conflict(originalSequence: nil) }
                waiters.append(waiter)
                state.entries[key] = .pending(hash: pendingHash, waiters: waiters)
                return .waiting
            }
        }
    }

    /// Records that the claimed `key` is durably stored with `ack`; wakes copies waiting for it.
    public func commit(_ key: DuplicateKey, ack: [UInt8], sequence: UInt64, receivedAtMicroseconds: Int64) {
        let waiters: [@Sendable (Resolution) -> Void] = state.withLock { state in
            guard case .pending(let hash, let waiters) = state.entries[key] else { return [] }
            state.entries[key] = .stored(hash: hash, ack: ack, sequence: sequence)
            Self.remember(key, receivedAt: receivedAtMicroseconds, sequence: sequence, in: &state, configuration)
            return waiters
        }
        for waiter in waiters { waiter(.stored(ack: ack)) }
    }

    /// Releases a claimed `key` whose message was not stored; waiting copies are told so.
    public func abandon(_ key: DuplicateKey) {
        let waiters: [@Sendable (Resolution) -> Void] = state.withLock { state in
            guard case .pending(_, let waiters) = state.entries[key] else { return [] }
            state.entries[key] = nil
            return waiters
        }
        for waiter in waiters { waiter(.failed) }
    }

    /// Adds a stored record found while replaying the journal at start-up.
    public func load(_ key: DuplicateKey, hash: UInt64, ack: [UInt8], sequence: UInt64, receivedAtMicroseconds: Int64) {
        state.withLock { state in
            if case .stored = state.entries[key] { return }  // the first store of a key wins
            state.entries[key] = .stored(hash: hash, ack: ack, sequence: sequence)
            Self.remember(key, receivedAt: receivedAtMicroseconds, sequence: sequence, in: &state, configuration)
        }
    }

    /// A stored key as a snapshot keeps it.
    public struct StoredKey: Sendable, Equatable {
        public var key: DuplicateKey
        public var hash: UInt64
        public var ack: [UInt8]
        public var sequence: UInt64
        public var receivedAtMicroseconds: Int64

        public init(key: DuplicateKey, hash: UInt64, ack: [UInt8], sequence: UInt64, receivedAtMicroseconds: Int64) {
            self.key = key
            self.hash = hash
            self.ack = ack
            self.sequence = sequence
            self.receivedAtMicroseconds = receivedAtMicroseconds
        }
    }

    /// The stored keys of records up to `sequence`, oldest first (what a snapshot through
    /// `sequence` holds). Copied in chunks so that claims on the live path never wait for more
    /// than one chunk; keys are remembered in sequence order, which makes the chunks resumable.
    public func storedKeys(through sequence: UInt64, chunk: Int = 8_192) -> [StoredKey] {
        var result: [StoredKey] = []
        var after: UInt64 = 0
        while true {
            let done = state.withLock { state -> Bool in
                // First remembered entry with a sequence above `after` (the FIFO is sorted).
                var low = state.orderHead, high = state.order.count
                while low < high {
                    let middle = (low + high) / 2
                    if state.order[middle].sequence <= after { low = middle + 1 } else { high = middle }
                }
                var index = low, taken = 0
                while index < state.order.count, taken < chunk {
                    let remembered = state.order[index]
                    guard remembered.sequence <= sequence else { return true }
                    if case .stored(let hash, let ack, let storedSequence) = state.entries[remembered.key],
                       storedSequence == remembered.sequence {
                        result.append(StoredKey(key: remembered.key, hash: hash, ack: ack, sequence: storedSequence,
                                                receivedAtMicroseconds: remembered.receivedAt))
                    }
                    after = remembered.sequence
                    index += 1
                    taken += 1
                }
                return index >= state.order.count
            }
            if done { return result }
        }
    }

    /// Adds a snapshot's stored keys (oldest first) received at or after `cutoff`, under one
    /// lock.
    public func load(_ keys: [StoredKey], receivedSince cutoff: Int64) {
        state.withLock { state in
            state.entries.reserveCapacity(state.entries.count + keys.count)
            state.order.reserveCapacity(state.order.count + keys.count)
            for stored in keys where stored.receivedAtMicroseconds >= cutoff {
                // One hash per key: insert, and put the first store back in the rare case the
                // key was already there.
                let entry = Entry.stored(hash: stored.hash, ack: stored.ack, sequence: stored.sequence)
                if let old = state.entries.updateValue(entry, forKey: stored.key), case .stored = old {
                    state.entries[stored.key] = old
                    continue
                }
                state.order.append(Remembered(key: stored.key, receivedAt: stored.receivedAtMicroseconds, sequence: stored.sequence))
                state.storedCount += 1
            }
            Self.evict(in: &state, configuration, before: cutoff)
        }
    }

    /// Forgets stored keys received before `nowMicroseconds - retention`.
    public func expire(nowMicroseconds: Int64) {
        state.withLock { state in
            Self.evict(in: &state, configuration, before: nowMicroseconds - configuration.retentionSeconds * 1_000_000)
        }
    }

    private static func remember(
        _ key: DuplicateKey, receivedAt: Int64, sequence: UInt64, in state: inout State, _ configuration: Configuration
    ) {
        state.order.append(Remembered(key: key, receivedAt: receivedAt, sequence: sequence))
        state.storedCount += 1
        evict(in: &state, configuration, before: receivedAt - configuration.retentionSeconds * 1_000_000)
    }

    private static func evict(in state: inout State, _ configuration: Configuration, before cutoff: Int64) {
        while state.orderHead < state.order.count {
            let oldest = state.order[state.orderHead]
            guard state.storedCount > configuration.maxEntries || oldest.receivedAt < cutoff else { break }
            if case .stored(_, _, let sequence) = state.entries[oldest.key], sequence == oldest.sequence {
                state.entries[oldest.key] = nil
            }
            state.storedCount -= 1
            state.orderHead += 1
        }
        // Compact the FIFO once its dead prefix dominates (amortised O(1) per entry).
        if state.orderHead > 4096, state.orderHead * 2 > state.order.count {
            state.order.removeFirst(state.orderHead)
            state.orderHead = 0
        }
    }
}
