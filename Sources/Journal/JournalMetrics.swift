// What the journal's I/O thread reports to swift-metrics (exported by the daemon as Prometheus).
import CoreMetrics
import Metrics

/// The journal's instruments, created once per open journal (never per record). Bound to the
/// metrics backend bootstrapped before the journal opens; a no-op without one.
struct JournalMetrics: Sendable {
    /// Time of each `fdatasync` (the durability cost every ACK waits for).
    private let fsyncDuration = Metrics.Timer(label: "switchboard_journal_fsync_seconds")
    /// Records per group commit (one write + one fdatasync).
    private let batchRecords = Recorder(label: "switchboard_journal_batch_records", aggregate: true)
    /// Bytes made durable (record headers and sector padding included).
    private let bytesWritten = Counter(label: "switchboard_journal_bytes_total")
    /// Records made durable.
    private let records = Counter(label: "switchboard_journal_records_total")
    /// Batches refused because the disk was full (nothing of them kept; appends resume).
    private let diskFull = Counter(label: "switchboard_journal_disk_full_total")
    /// 1 once a write or sync failed and the journal fail-stopped (restart to recover).
    private let failStopped = Gauge(label: "switchboard_journal_fail_stopped")
    /// The highest sequence known durable.
    private let durableSequence = Gauge(label: "switchboard_journal_durable_sequence")

    /// A journal opened (or recovered) with everything through `sequence` durable.
    func opened(durableThrough sequence: UInt64) {
        failStopped.record(0)
        durableSequence.record(Int64(truncatingIfNeeded: sequence))
    }

    /// One group commit made durable.
    func batchWritten(records count: Int, bytes: Int, fsync: Duration, durableThrough sequence: UInt64) {
        let (seconds, attoseconds) = fsync.components
        fsyncDuration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        batchRecords.record(count)
        records.increment(by: count)
        bytesWritten.increment(by: bytes)
        durableSequence.record(Int64(truncatingIfNeeded: sequence))
    }

    /// A batch refused for lack of space.
    func diskWasFull() { diskFull.increment() }

    /// The journal fail-stopped.
    func stopped() { failStopped.record(1) }
}
