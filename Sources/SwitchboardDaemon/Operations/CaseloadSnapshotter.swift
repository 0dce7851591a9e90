// Periodic snapshots of the caseload and the duplicate index, and one at a clean shutdown, so
// that start-up reads a snapshot and the records after it instead of the whole journal.
import Caseload
import CaseloadStore
import Integration
import Journal
import Logging
import Metrics
import ServiceLifecycle
import Outbox
import Synchronization

/// Writes a snapshot once ``everyRecords`` records were journaled since the last one (checked
/// every ``checkInterval``, and never sooner than nine times the last snapshot's duration after
/// it), and a last one after the listeners drained at shutdown.
///
/// Placed before the listeners in the service group: graceful shutdown reaches it after they
/// stopped, so the final snapshot covers every acknowledged message.
struct CaseloadSnapshotter: Service {
    let store: InboundStore
    let engine: CaseloadEngine
    let everyRecords: Int
    var checkInterval: Duration = .seconds(10)
    let logger: Logger

    private let written = Counter(label: "switchboard_snapshots_total")
    private let failures = Counter(label: "switchboard_snapshot_failures_total")
    private let lastSequence = Gauge(label: "switchboard_snapshot_sequence")
    private let lastBytes = Gauge(label: "switchboard_snapshot_bytes")
    private let duration = Metrics.Timer(label: "switchboard_snapshot_duration_seconds")

    func run() async throws {
        let covered = SnapshotProgress(store.snapshotSequence)
        lastSequence.record(Int64(store.snapshotSequence))
        await cancelWhenGracefulShutdownIgnoringErrors { [self] in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: checkInterval)
                } catch {
                    return
                }
                // At most about a tenth of the time snapshotting: a large caseload under a
                // high message rate would otherwise be snapshotted back to back.
                guard ContinuousClock.now >= covered.quietUntil else { continue }
                if store.journal.lastDurableSequence >= covered.sequence + UInt64(everyRecords) {
                    let started = ContinuousClock.now
                    await snapshot(covered)
                    covered.quietUntil = ContinuousClock.now + (ContinuousClock.now - started) * 9
                }
            }
        }
        // Shutdown: the listeners have drained; cover what came in since the last snapshot.
        if Task.isShuttingDownGracefully, store.journal.lastDurableSequence > covered.sequence {
            await snapshot(covered)
        }
    }

    /// Takes and stores one snapshot; failures are logged and counted (the journal still holds
    /// every record: a missed snapshot only makes the next start-up longer).
    func snapshot(_ covered: SnapshotProgress) async {
        let started = ContinuousClock.now
        let journal = store.journal
        guard let (state, sequence) = await engine.captureForSnapshot(durableSequence: { journal.lastDurableSequence }) else {
            logger.notice("caseload snapshot skipped: a storage failure is being recovered")
            return
        }
        guard sequence > covered.sequence else { return }
        do {
            // Every append up to `sequence` has completed, so its duplicate key is committed.
            try await journal.heartbeat()
            let bytes = try await store.storeSnapshot(of: state, through: sequence)
            let elapsed = ContinuousClock.now - started
            covered.sequence = sequence
            written.increment()
            lastSequence.record(Int64(sequence))
            lastBytes.record(Int64(bytes))
            duration.recordInterval(elapsed)
            logger.info("caseload snapshot written", metadata: [
                "snapshot.seq": "\(sequence)", "snapshot.bytes": "\(bytes)",
                "caseload.patients": "\(state.caseload.patients.count)", "outbox.depth": "\(state.outbox.depth)", "duration_ms": "\(elapsed.milliseconds)",
            ])
        } catch {
            failures.increment()
            logger.warning("caseload snapshot failed", metadata: ["snapshot.seq": "\(sequence)", "error": "\(error)"])
        }
    }
}

/// The sequence the newest snapshot covers (shared between the loop and the shutdown step).
final class SnapshotProgress: Sendable {
    private let value: Atomic<UInt64>
    private let quiet = Mutex(ContinuousClock.now)
    init(_ sequence: UInt64) { value = Atomic(sequence) }
    var sequence: UInt64 {
        get { value.load(ordering: .acquiring) }
        set { value.store(newValue, ordering: .releasing) }
    }
    /// No periodic snapshot before this time.
    var quietUntil: ContinuousClock.Instant {
        get { quiet.withLock { $0 } }
        set { quiet.withLock { $0 = newValue } }
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
