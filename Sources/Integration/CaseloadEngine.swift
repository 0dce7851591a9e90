// The live caseload: decisions serialized with their journal appends, audit on durability,
// and a rebuild from the journal when an append with events failed.
public import Caseload
public import CaseloadStore
import HL7
import Journal
import Outbox
import Synchronization

/// Owns the in-memory caseload of a running daemon.
///
/// Decisions read the state and apply their events at once (the next message must see them),
/// and the journal append is submitted while the lock is held, so the journal order is the
/// decision order and a replay reproduces the live state. The audit entry is added when the
/// append is durable (it names the journal sequence). When an append carrying events fails
/// (disk full, fail-stop), the live state is ahead of the journal: new decisions are refused
/// (AR 207, senders resend) until the appends in flight have drained and the caseload has been
/// rebuilt from the journal.
public final class CaseloadEngine: Sendable {
    /// What became of a message's caseload decision.
    enum Outcome {
        /// The events to store with the message (nil: the message has no caseload effect),
        /// and the outbox entries they call for (stored in the same append).
        case decided(CaseloadDecision?, [OutboxEntry])
        /// The message cannot be applied: AE with this error.
        case refused(CaseloadError)
        /// The caseload is being rebuilt: AR 207.
        case unavailable(String)
    }

    struct Live {
        var state: CaseloadState
        /// Delivery state of outbound messages: entries join when their record is durable;
        /// progress is applied when its record is submitted (like decisions).
        var outbox: OutboxState
        /// The number of the next outbox entry (ahead of `outbox.nextNumber` while entries are
        /// in flight).
        var outboxNumber: Int
        var composer: ReferralOutboxComposer
        var decider: CaseloadDecider
        var pending = 0
        var rebuilding = false
        /// Resumed when a rebuild completes (``waitUntilAvailable()``).
        var availabilityWaiters: [CheckedContinuation<Void, Never>] = []
        var capture: Capture?
    }

    /// A durable append, queued until it is folded into the live state.
    struct DurableCommit {
        /// Nil for an append with no audit entry (an outbox change).
        var audit: AuditEntry?
        var outbound: [OutboxEntry]
        var sequence: UInt64
    }

    /// A copy of the caseload taken for a snapshot, completing as the decisions that were in
    /// flight at the copy become durable. Appends complete in sequence order, and sequences follow
    /// the order of decisions, so the first `awaiting` outcomes after the copy are exactly those.
    struct Capture {
        var state: CaseloadState
        var outbox: OutboxState
        var awaiting: Int
        /// Audit entries of the awaited decisions (added to `state` off the lock: appending to
        /// the shared audit array here would copy it while decisions wait).
        var audits: [AuditEntry] = []
        /// Outbox entries of the awaited decisions, enqueued into `outbox` off the lock.
        var outboxEntries: [OutboxEntry] = []
        /// The snapshot covers every record up to this sequence.
        var sequence: UInt64
        var failed = false
        /// Resumed once nothing awaited is left (or one failed).
        var waiter: CheckedContinuation<Void, Never>?

        /// Resumes the waiter when the capture is complete.
        mutating func wakeIfDone() {
            guard awaiting == 0 || failed, let waiter else { return }
            self.waiter = nil
            waiter.resume()
        }
    }

    /// The live state; used through ``withLive(_:)``.
    let live: Mutex<Live>
    /// Durable appends waiting to be folded into the live state (see ``committed(_:outbound:sequence:controlID:messageType:)``).
    let commits = Mutex<[DurableCommit]>([])
    /// Threads inside ``withLive(_:)`` (waiting for the lock or holding it): each folds queued
    /// commits in after unlocking, so a committer that sees one leaves its commit to them.
    let holders = Atomic<Int>(0)
    let mapping: CaseloadMapping
    let store: InboundStore
    /// Told which destinations have new work (the dispatchers), off the lock. A class, not a
    /// bare closure: a closure read and written back through `withLock`'s inout is
    /// re-abstracted each time, and the chain of thunks grew by two per commit (measured: 40%
    /// of the journal thread after 10,000 referrals).
    let outboxListener = Mutex<OutboxListener?>(nil)

    final class OutboxListener: Sendable {
        let notify: @Sendable ([String]) -> Void
        init(_ notify: @escaping @Sendable ([String]) -> Void) { self.notify = notify }
    }

    public init(store: InboundStore, rules: CaseloadRules, outbound: OutboundSettings = OutboundSettings(),
                mapping: CaseloadMapping = CaseloadMapping()) {
        self.store = store
        self.mapping = mapping
        var initial = store.takeInitialState()
        initial.outbox.resetInFlight()
        self.live = Mutex(Live(state: initial.caseload, outbox: initial.outbox, outboxNumber: initial.outbox.nextNumber,
                               composer: ReferralOutboxComposer(settings: outbound), decider: CaseloadDecider(rules: rules)))
    }

    /// Replaces how outbound messages are addressed (SIGHUP): later messages follow it.
    public func updateOutbound(_ settings: OutboundSettings) {
        withLive { $0.composer = ReferralOutboxComposer(settings: settings) }
    }

    /// The rules decisions follow now.
    public var rules: CaseloadRules { withLive { $0.decider.rules } }

    /// Replaces the rules (SIGHUP): later messages follow them; what was decided stays.
    public func updateRules(_ rules: CaseloadRules) {
        withLive { $0.decider = CaseloadDecider(rules: rules) }
    }

    /// Reads the caseload (queries; keep `body` short: decisions wait meanwhile).
    public func read<T>(_ body: (borrowing CaseloadState) -> T) -> T {
        withLive { body($0.state) }
    }

    /// Decides and calls `submit` with the outcome while holding the lock; `submit` must hand
    /// the record to the journal (it does not wait for the fsync). `command` is what
    /// ``CaseloadMapping`` made of `message` (mapped before, off the lock).
    func decide(_ command: Result<CaseloadCommand?, CaseloadError>, message: HL7Message, nowMicroseconds: Int64,
                submit: (Outcome) -> Void) {
        withLive { live in
            if live.rebuilding { return submit(.unavailable("caseload being rebuilt after a storage failure")) }
            let mapped: CaseloadCommand?
            switch command {
            case .success(let value): mapped = value
            case .failure(let error): return submit(.refused(error))
            }
            guard let command = mapped else { return submit(.decided(nil, [])) }
            let decision: CaseloadDecision
            do throws(CaseloadError) {
                decision = try live.decider.decide(command, in: live.state)
            } catch {
                return submit(.refused(error))
            }
            live.state.apply(decision)
            var outbound: [OutboxEntry] = []
            if !decision.referralMessages.isEmpty {
                outbound = live.composer.entries(for: decision, in: live.state, diagnoses: ReferralDiagnosis.of(message),
                                                 number: &live.outboxNumber, nowMilliseconds: nowMicroseconds / 1000)
            }
            live.pending += 1
            submit(.decided(decision, outbound))
        }
    }

    /// Why a coordinator's action was not taken.
    public enum ActionFailure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The action does not apply (unknown task, task not open, ...).
        case refused(CoordinatorActionError)
        /// Nothing was stored (journal full or stopped, caseload being rebuilt): try later.
        case unavailable(String)

        public var description: String {
            switch self {
            case .refused(let error): "\(error)"
            case .unavailable(let reason): reason
            }
        }
    }

    /// Decides a coordinator's action, journals it (with its events) and returns the decision
    /// once it is durable. Serialized with message decisions, like them.
    public func perform(_ action: CoordinatorAction, peer: String, recordedAtMicroseconds: Int64)
        async throws(ActionFailure) -> (decision: CaseloadDecision, sequence: UInt64)
    {
        let journal = store.journal
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<(CaseloadDecision, UInt64), ActionFailure>, Never>) in
            withLive { live in
                if live.rebuilding { return continuation.resume(returning: .failure(.unavailable("caseload being rebuilt after a storage failure"))) }
                let decision: CaseloadDecision
                do throws(CoordinatorActionError) {
                    decision = try live.decider.decide(action, in: live.state)
                } catch {
                    return continuation.resume(returning: .failure(.refused(error)))
                }
                live.state.apply(decision)
                live.pending += 1
                let record = ActionRecord(recordedAtMicroseconds: recordedAtMicroseconds, peer: peer, action: action, decision: decision)
                journal.append(ActionRecordCodec.encode(record)) { [self] result in
                    switch result {
                    case .success(let sequence):
                        committed(decision, sequence: sequence, controlID: "", messageType: record.auditType)
                        continuation.resume(returning: .success((decision, sequence)))
                    case .failure(let error):
                        failed()
                        continuation.resume(returning: .failure(.unavailable("not stored: journal \(error.code)")))
                    }
                }
            }
        }
        return try outcome.get()
    }

    /// The append of a decided message is durable: its audit entry, and its outbox entries
    /// join their queues (delivery may start).
    ///
    /// Runs on the journal thread, often while a decision holds the lock: it queues the commit
    /// and folds it in only if the lock is free. Otherwise the holder folds it in (every holder
    /// folds queued commits in before its work and checks again after unlocking), so the journal
    /// thread never sleeps on the caseload lock.
    func committed(_ decision: CaseloadDecision, outbound: [OutboxEntry] = [], sequence: UInt64, controlID: String, messageType: String) {
        let entry = AuditEntry(sequence: sequence, controlID: controlID, messageType: messageType,
                               at: decision.at, patientID: decision.patientID, changes: decision.changes)
        queueCommit(DurableCommit(audit: entry, outbound: outbound, sequence: sequence))
    }

    /// An append with no caseload effect of its own (an outbox change) is durable.
    func committedWithoutEvents(sequence: UInt64) {
        queueCommit(DurableCommit(audit: nil, outbound: [], sequence: sequence))
    }

    private func queueCommit(_ commit: DurableCommit) {
        commits.withLock { $0.append(commit) }
        // A holder (or one about to take the lock) folds it in: do not even try the lock (a
        // failed try of Linux's priority-inheritance mutex is a system call). The fence orders
        // the append before the read of `holders` (a holder reads the queue after leaving).
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        guard holders.load(ordering: .sequentiallyConsistent) == 0,
              let destinations = live.withLockIfAvailable({ foldCommits(into: &$0) }) else { return }
        settleCommits(notifying: destinations)
    }

    /// Runs `body` on the live state under its lock, after folding in the durable commits queued
    /// meanwhile; once unlocked, folds in those queued while it ran. Every use of the live
    /// state goes through here (or `queueCommit`).
    func withLive<T>(_ body: (inout Live) -> T) -> T {
        var destinations: Set<String> = []
        holders.add(1, ordering: .sequentiallyConsistent)
        let result = live.withLock { live -> T in
            destinations = foldCommits(into: &live)
            return body(&live)
        }
        holders.subtract(1, ordering: .sequentiallyConsistent)
        settleCommits(notifying: destinations)
        return result
    }

    /// After unlocking: commits queued while the lock was held, whose committers found it taken.
    /// If the lock is taken again, that holder does this after it.
    private func settleCommits(notifying destinations: Set<String>) {
        var destinations = destinations
        while commits.withLock({ !$0.isEmpty }), let more = live.withLockIfAvailable({ foldCommits(into: &$0) }) {
            destinations.formUnion(more)
        }
        if !destinations.isEmpty { notifyOutbox(Array(destinations)) }
    }

    /// Applies the queued commits, in journal order; returns the destinations with new work.
    private func foldCommits(into live: inout Live) -> Set<String> {
        var taken: [DurableCommit] = []
        commits.withLock { swap(&taken, &$0) }
        var destinations: Set<String> = []
        for commit in taken {
            live.pending -= 1
            if let audit = commit.audit { live.state.recordAudit(audit) }
            for item in commit.outbound {
                live.outbox.enqueue(item)
                destinations.insert(item.destination)
            }
            if var capture = live.capture, capture.awaiting > 0 {
                live.capture = nil  // keep one reference to the audits array: no copy on append
                capture.awaiting -= 1
                if let audit = commit.audit { capture.audits.append(audit) }
                capture.outboxEntries += commit.outbound
                capture.sequence = max(capture.sequence, commit.sequence)
                capture.wakeIfDone()
                live.capture = capture
            }
        }
        return destinations
    }

    func notifyOutbox(_ destinations: [String]) {
        let listener = outboxListener.withLock { $0 }
        listener?.notify(destinations)
    }

    /// Copies the caseload for a snapshot and waits until the copy matches a journal prefix:
    /// returns it with the last sequence it covers, or nil when a storage failure intervened
    /// (the caseload is then rebuilt; try later). `durableSequence` is read under the lock.
    ///
    /// The copy itself is O(1) (copy-on-write), but the live path then copies each table the
    /// first time it changes one while the snapshot holds it: the cost of a snapshot on the
    /// live path, measured by caseload-bench.
    public func captureForSnapshot(durableSequence: @Sendable () -> UInt64) async -> (state: StoreState, sequence: UInt64)? {
        let started = withLive { live -> Bool in
            guard !live.rebuilding, live.capture == nil else { return false }
            live.capture = Capture(state: live.state, outbox: live.outbox, awaiting: live.pending, sequence: durableSequence())
            return true
        }
        guard started else { return nil }
        // Woken by `committed`/`failed` (no polling: this also holds when the task is cancelled).
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            withLive { live in
                live.capture?.waiter = continuation
                if live.capture == nil {
                    continuation.resume()
                } else {
                    live.capture?.wakeIfDone()
                }
            }
        }
        let finished: Capture? = withLive { live in
            defer { live.capture = nil }
            return live.capture
        }
        guard var capture = finished, !capture.failed else { return nil }
        for entry in capture.audits { capture.state.recordAudit(entry) }
        for entry in capture.outboxEntries { capture.outbox.enqueue(entry) }
        return (StoreState(caseload: capture.state, outbox: capture.outbox), capture.sequence)
    }

    /// The append of a decided message failed: its events are in the live state but not in the
    /// journal. Stops decisions and rebuilds once nothing is in flight.
    func failed() {
        let start = withLive { live -> Bool in
            live.pending -= 1
            live.capture?.failed = true
            live.capture?.wakeIfDone()
            defer { live.rebuilding = true }
            return !live.rebuilding
        }
        guard start else { return }
        Task { [self] in await self.rebuild() }
    }

    /// Returns once the caseload takes decisions (at once unless a rebuild is under way).
    public func waitUntilAvailable() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = withLive { live -> Bool in
                guard live.rebuilding else { return true }
                live.availabilityWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func rebuild() async {
        while withLive({ $0.pending }) > 0 { try? await Task.sleep(for: .milliseconds(10)) }
        while true {
            if var state = try? await store.replayState() {
                state.outbox.resetInFlight()
                let waiters = withLive { live in
                    live.state = state.caseload
                    live.outbox = state.outbox
                    live.outboxNumber = state.outbox.nextNumber
                    live.rebuilding = false
                    defer { live.availabilityWaiters = [] }
                    return live.availabilityWaiters
                }
                for waiter in waiters { waiter.resume() }
                notifyOutbox(withLive { $0.outbox.destinations })
                return
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
