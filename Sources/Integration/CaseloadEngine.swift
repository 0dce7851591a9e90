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

    let live: Mutex<Live>
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
        live.withLock { $0.composer = ReferralOutboxComposer(settings: settings) }
    }

    /// The rules decisions follow now.
    public var rules: CaseloadRules { live.withLock { $0.decider.rules } }

    /// Replaces the rules (SIGHUP): later messages follow them; what was decided stays.
    public func updateRules(_ rules: CaseloadRules) {
        live.withLock { $0.decider = CaseloadDecider(rules: rules) }
    }

    /// Reads the caseload (queries; keep `body` short: decisions wait meanwhile).
    public func read<T>(_ body: (borrowing CaseloadState) -> T) -> T {
        live.withLock { body($0.state) }
    }

    /// Decides and calls `submit` with the outcome while holding the lock; `submit` must hand
    /// the record to the journal (it does not wait for the fsync).
    func decide(_ message: HL7Message, header: HL7Header, nowMicroseconds: Int64, submit: (Outcome) -> Void) {
        live.withLock { live in
            if live.rebuilding { return submit(.unavailable("caseload being rebuilt after a storage failure")) }
            let command: CaseloadCommand?
            do throws(CaseloadError) {
                command = try mapping.command(for: message, header: header)
            } catch {
                return submit(.refused(error))
            }
            guard let command else { return submit(.decided(nil, [])) }
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
            live.withLock { live in
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
    func committed(_ decision: CaseloadDecision, outbound: [OutboxEntry] = [], sequence: UInt64, controlID: String, messageType: String) {
        let entry = AuditEntry(sequence: sequence, controlID: controlID, messageType: messageType,
                               at: decision.at, patientID: decision.patientID, changes: decision.changes)
        live.withLock { live in
            live.pending -= 1
            live.state.recordAudit(entry)
            for item in outbound { live.outbox.enqueue(item) }
            if var capture = live.capture, capture.awaiting > 0 {
                live.capture = nil  // keep one reference to the audits array: no copy on append
                capture.awaiting -= 1
                capture.audits.append(entry)
                capture.outboxEntries += outbound
                capture.sequence = max(capture.sequence, sequence)
                capture.wakeIfDone()
                live.capture = capture
            }
        }
        if !outbound.isEmpty { notifyOutbox(Array(Set(outbound.map(\.destination)))) }
    }

    /// An append with no caseload effect of its own (an outbox change) is durable.
    func committedWithoutEvents(sequence: UInt64) {
        live.withLock { live in
            live.pending -= 1
            if var capture = live.capture, capture.awaiting > 0 {
                live.capture = nil
                capture.awaiting -= 1
                capture.sequence = max(capture.sequence, sequence)
                capture.wakeIfDone()
                live.capture = capture
            }
        }
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
        let started = live.withLock { live -> Bool in
            guard !live.rebuilding, live.capture == nil else { return false }
            live.capture = Capture(state: live.state, outbox: live.outbox, awaiting: live.pending, sequence: durableSequence())
            return true
        }
        guard started else { return nil }
        // Woken by `committed`/`failed` (no polling: this also holds when the task is cancelled).
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            live.withLock { live in
                live.capture?.waiter = continuation
                if live.capture == nil {
                    continuation.resume()
                } else {
                    live.capture?.wakeIfDone()
                }
            }
        }
        let finished: Capture? = live.withLock { live in
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
        let start = live.withLock { live -> Bool in
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
            let resumeNow = live.withLock { live -> Bool in
                guard live.rebuilding else { return true }
                live.availabilityWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func rebuild() async {
        while live.withLock({ $0.pending }) > 0 { try? await Task.sleep(for: .milliseconds(10)) }
        while true {
            if var state = try? await store.replayState() {
                state.outbox.resetInFlight()
                let waiters = live.withLock { live in
                    live.state = state.caseload
                    live.outbox = state.outbox
                    live.outboxNumber = state.outbox.nextNumber
                    live.rebuilding = false
                    defer { live.availabilityWaiters = [] }
                    return live.availabilityWaiters
                }
                for waiter in waiters { waiter.resume() }
                notifyOutbox(live.withLock { $0.outbox.destinations })
                return
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
