// The live caseload: decisions serialized with their journal appends, audit on durability,
// and a rebuild from the journal when an append with events failed.
public import Caseload
public import CaseloadStore
import HL7
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
        /// The events to store with the message (nil: the message has no caseload effect).
        case decided(CaseloadDecision?)
        /// The message cannot be applied: AE with this error.
        case refused(CaseloadError)
        /// The caseload is being rebuilt: AR 207.
        case unavailable(String)
    }

    private struct Live {
        var state: CaseloadState
        var decider: CaseloadDecider
        var pending = 0
        var rebuilding = false
    }

    private let live: Mutex<Live>
    let mapping: CaseloadMapping
    let store: InboundStore

    public init(store: InboundStore, rules: CaseloadRules, mapping: CaseloadMapping = CaseloadMapping()) {
        self.store = store
        self.mapping = mapping
        self.live = Mutex(Live(state: store.initialCaseload, decider: CaseloadDecider(rules: rules)))
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
    func decide(_ message: HL7Message, header: HL7Header, submit: (Outcome) -> Void) {
        live.withLock { live in
            if live.rebuilding { return submit(.unavailable("caseload being rebuilt after a storage failure")) }
            let command: CaseloadCommand?
            do throws(CaseloadError) {
                command = try mapping.command(for: message, header: header)
            } catch {
                return submit(.refused(error))
            }
            guard let command else { return submit(.decided(nil)) }
            let decision: CaseloadDecision
            do throws(CaseloadError) {
                decision = try live.decider.decide(command, in: live.state)
            } catch {
                return submit(.refused(error))
            }
            live.state.apply(decision)
            live.pending += 1
            submit(.decided(decision))
        }
    }

    /// The append of a decided message is durable.
    func committed(_ decision: CaseloadDecision, sequence: UInt64, controlID: String, messageType: String) {
        live.withLock { live in
            live.pending -= 1
            live.state.recordAudit(AuditEntry(sequence: sequence, controlID: controlID, messageType: messageType,
                                              at: decision.at, patientID: decision.patientID, changes: decision.changes))
        }
    }

    /// The append of a decided message failed: its events are in the live state but not in the
    /// journal. Stops decisions and rebuilds once nothing is in flight.
    func failed() {
        let start = live.withLock { live -> Bool in
            live.pending -= 1
            defer { live.rebuilding = true }
            return !live.rebuilding
        }
        guard start else { return }
        Task { [self] in await self.rebuild() }
    }

    private func rebuild() async {
        while live.withLock({ $0.pending }) > 0 { try? await Task.sleep(for: .milliseconds(10)) }
        while true {
            if let state = try? await store.replayCaseload() {
                live.withLock { live in
                    live.state = state
                    live.rebuilding = false
                }
                return
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
