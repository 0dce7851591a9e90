// The journal of a dry run: records kept in memory, never written. Seeded read-only from a state
// directory, so the dry run judges messages against what that directory already holds.
import CaseloadStore
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Journal
import Synchronization

/// An ``AppendOnlyJournal`` in memory. Appends complete on a serial queue, in order, as a file
/// journal's do on its thread (never inside the caller: the pipeline submits under the
/// caseload lock, and the completion takes it again).
final class DryRunJournal: AppendOnlyJournal {
    private struct State {
        var records: [JournalRecord] = []
        var snapshot: JournalSnapshot?
    }

    private let state = Mutex(State())
    private let completions = DispatchQueue(label: "switchboard.replay.dry-run")
    private let durable = Atomic<UInt64>(0)

    /// An empty journal, or one holding a copy of a state directory's snapshot and records (a
    /// directory that does not exist yet is an empty one).
    init(copying directory: String?) throws(JournalError) {
        guard let directory, access(directory, F_OK) == 0 else { return }
        var copied: [JournalRecord] = []
        var (snapshot, _) = try JournalMaintenance.latestSnapshot(directory: directory)
        // A snapshot this build cannot read: the store will replay from record 1, so copy all.
        if let found = snapshot, !StoreSnapshotCodec.isReadable(found.blob) { snapshot = nil }
        let walk = try JournalMaintenance.dumpPayloads(directory: directory, from: (snapshot?.sequence ?? 0) + 1) { _, record, payload in
            copied.append(JournalRecord(sequence: record.sequence, timestamp: record.timestamp, payload: Array(payload)))
        }
        if let problem = walk.problem { throw problem }
        let last = copied.last?.sequence ?? snapshot?.sequence ?? 0
        state.withLock {
            $0.records = copied
            $0.snapshot = snapshot
        }
        durable.store(last, ordering: .releasing)
    }

    func append(_ payload: [UInt8]) async throws(JournalError) -> UInt64 {
        store([payload]).lowerBound
    }

    func append(contentsOf payloads: [[UInt8]]) async throws(JournalError) -> ClosedRange<UInt64> {
        store(payloads)
    }

    func append(_ payload: [UInt8], completion: @escaping JournalAppendCompletion) {
        let sequence = store([payload]).lowerBound
        completions.async { completion(.success(sequence)) }
    }

    private func store(_ payloads: [[UInt8]]) -> ClosedRange<UInt64> {
        state.withLock { state in
            let first = (state.records.last?.sequence ?? state.snapshot?.sequence ?? 0) + 1
            for (index, payload) in payloads.enumerated() {
                state.records.append(JournalRecord(sequence: first + UInt64(index), timestamp: 0, payload: payload))
            }
            let last = first + UInt64(max(payloads.count, 1) - 1)
            durable.store(last, ordering: .releasing)
            return first...last
        }
    }

    func records(from sequence: UInt64, limit: Int) async throws(JournalError) -> [JournalRecord] {
        state.withLock { state in
            guard let start = state.records.firstIndex(where: { $0.sequence >= sequence }) else { return [] }
            return Array(state.records[start...].prefix(limit))
        }
    }

    func storeSnapshot(_ blob: [UInt8], through sequence: UInt64) async throws(JournalError) {}

    func latestSnapshot() async throws(JournalError) -> JournalSnapshot? {
        state.withLock { $0.snapshot }
    }

    func heartbeat() async throws(JournalError) {
        await withCheckedContinuation { continuation in completions.async { continuation.resume() } }
    }

    var lastDurableSequence: UInt64 { durable.load(ordering: .acquiring) }

    func close() async {}
}
