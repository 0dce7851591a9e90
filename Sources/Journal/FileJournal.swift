// The public face of the file journal: async appends that return once durable.
public import Logging
import Synchronization
import SystemPackage

/// A journal of opaque records: the contract the caseload store depends on. ``FileJournal``
/// implements it over local files; a PostgreSQL-backed one can follow (DESIGN §11), so nothing
/// here mentions files.
public protocol AppendOnlyJournal: Sendable {
    /// Appends one record and returns its sequence once it is durable.
    func append(_ payload: [UInt8]) async throws(JournalError) -> UInt64
    /// Appends records in order in one durable write; returns their sequences.
    func append(contentsOf payloads: [[UInt8]]) async throws(JournalError) -> ClosedRange<UInt64>
    /// Appends one record and calls `completion` with its sequence once it is durable (or with
    /// the error). The callback form serves event-loop code that must not suspend per message;
    /// `completion` runs on the journal's thread and must return quickly.
    func append(_ payload: [UInt8], completion: @escaping JournalAppendCompletion)
    /// Up to `limit` durable records from `sequence` on, in order.
    func records(from sequence: UInt64, limit: Int) async throws(JournalError) -> [JournalRecord]
    /// Stores `blob` as the state after every record up to `sequence`.
    func storeSnapshot(_ blob: [UInt8], through sequence: UInt64) async throws(JournalError)
    /// The newest valid snapshot, if any.
    func latestSnapshot() async throws(JournalError) -> JournalSnapshot?
    /// Returns once every append submitted before the call has completed (its completion
    /// has run); throws when the journal is closed or has failed.
    func heartbeat() async throws(JournalError)
    /// The highest sequence known durable.
    var lastDurableSequence: UInt64 { get }
    /// Finishes pending work and releases the journal.
    func close() async
}

/// A segmented, append-only, checksummed journal in one directory, with group commit.
///
/// ```swift
/// let journal = try await FileJournal.open(JournalConfiguration(stateDirectory: "/var/lib/switchboard"))
/// let seq = try await journal.append(bytes)   // returns after write + fdatasync
/// ```
///
/// All blocking I/O happens on one dedicated thread. Concurrent appends are written together
/// with one `write` and one `fdatasync`. After any write or sync error the journal fail-stops:
/// every later call throws ``JournalError/Code/failStopped``.
public final class FileJournal: AppendOnlyJournal {
    /// The configuration it was opened with.
    public let configuration: JournalConfiguration
    /// What recovery found and did at open.
    public let recovery: RecoveryReport
    private let thread: JournalThread
    /// Writes the bulk of snapshot files, so that appends never wait behind them.
    private let snapshotThread: JournalThread
    private let counters: JournalCounters

    private init(configuration: JournalConfiguration, recovery: RecoveryReport, thread: JournalThread, counters: JournalCounters) {
        self.configuration = configuration
        self.recovery = recovery
        self.thread = thread
        self.counters = counters
        snapshotThread = JournalThread(maxBatchRecords: 1, maxBatchBytes: 1)
        snapshotThread.start()
    }

    deinit {
        thread.stop()
        snapshotThread.stop()
    }

    /// Opens (or creates) the journal described by `configuration`, recovering it: a torn tail
    /// of the last segment is cut off and reported in ``recovery``; corruption anywhere else
    /// throws ``JournalError/Code/corrupt`` naming the segment and offset.
    public static func open(_ configuration: JournalConfiguration, logger: Logger = Logger(label: "switchboard.journal"))
        async throws(JournalError) -> FileJournal
    {
        try await open(configuration, storage: SystemStorage(), logger: logger)
    }

    /// Opens the journal over a given storage (the test seam).
    package static func open(
        _ configuration: JournalConfiguration, storage: any JournalStorage,
        logger: Logger = Logger(label: "switchboard.journal", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws(JournalError) -> FileJournal
    {
        let configuration = try configuration.validated()
        let thread = JournalThread(maxBatchRecords: configuration.maxBatchRecords, maxBatchBytes: configuration.maxBatchBytes,
                                   gatherWindowNanoseconds: configuration.gatherWaitNanoseconds, gatherTarget: configuration.gatherTarget)
        thread.start()
        let counters = JournalCounters()
        let report = try await perform(on: thread) { (writer: inout SegmentWriter?) throws(JournalError) -> RecoveryReport in
            let (opened, report) = try JournalRecovery.open(
                storage: storage, configuration: configuration, logger: logger, counters: counters)
            writer = opened
            return report
        }.mapError { error in
            thread.stop()
            return error
        }.get()
        logger.info(
            "journal opened",
            metadata: [
                "journal.seq": "\(report.lastSequence)", "journal.records_scanned": "\(report.recordsScanned)",
                "journal.snapshot_seq": "\(report.snapshotSequence)",
            ])
        return FileJournal(configuration: configuration, recovery: report, thread: thread, counters: counters)
    }

    public func append(_ payload: [UInt8]) async throws(JournalError) -> UInt64 {
        try await submitAppend([payload])
    }

    /// Appends records in order in one batch (one write, one fdatasync). After a crash before
    /// this returns, a prefix of them may survive recovery.
    public func append(contentsOf payloads: [[UInt8]]) async throws(JournalError) -> ClosedRange<UInt64> {
        guard !payloads.isEmpty else {
            throw JournalError(code: .invalidArgument, message: "append(contentsOf:) needs at least one record")
        }
        let first = try await submitAppend(payloads)
        return first...(first + UInt64(payloads.count) - 1)
    }

    public func append(_ payload: [UInt8], completion: @escaping JournalAppendCompletion) {
        if counters.failed.load(ordering: .acquiring) {
            // No queueing once fail-stopped; the writer produces the detailed error.
            let accepted = thread.submit(.run { writer in
                completion(Result { () throws(JournalError) in try writer.unwrapped().append([]) })
            })
            if !accepted { Self.completeElsewhere(completion, .failure(JournalError(code: .closed, message: "the journal is closed"))) }
            return
        }
        if !thread.submit(.append([payload], completion)) {
            Self.completeElsewhere(completion, .failure(JournalError(code: .closed, message: "the journal is closed")))
        }
    }

    /// Completions never run inside the caller (it may hold a lock the completion takes), even
    /// when the journal refuses the append outright.
    private static func completeElsewhere(_ completion: @escaping JournalAppendCompletion, _ result: Result<UInt64, JournalError>) {
        Task.detached { completion(result) }
    }

    private func submitAppend(_ payloads: [[UInt8]]) async throws(JournalError) -> UInt64 {
        if counters.failed.load(ordering: .acquiring) {
            // Fast path: no queueing once fail-stopped. The writer throws the detailed error.
            return try await perform { (writer: inout SegmentWriter?) throws(JournalError) -> UInt64 in
                try writer.unwrapped().append([])
            }.get()
        }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<UInt64, JournalError>, Never>) in
            if !thread.submit(.append(payloads, { continuation.resume(returning: $0) })) {
                continuation.resume(returning: .failure(JournalError(code: .closed, message: "the journal is closed")))
            }
        }
        return try result.get()
    }

    /// Up to `limit` durable records from `sequence` on. Runs on the I/O thread between batches,
    /// so a large read delays appends: page through big ranges with a modest `limit`, or use
    /// ``JournalMaintenance/records(directory:from:limit:maxRecordSize:)`` from another thread.
    public func records(from sequence: UInt64, limit: Int = .max) async throws(JournalError) -> [JournalRecord] {
        try await perform { (writer: inout SegmentWriter?) throws(JournalError) -> [JournalRecord] in
            try writer.unwrapped().records(from: sequence, limit: limit)
        }.get()
    }

    /// Stores a snapshot: temporary file, fdatasync, rename, directory fsync. Then keeps the
    /// newest ``JournalConfiguration/snapshotsKept`` snapshots and applies segment retention.
    ///
    /// The bytes are written and synced on a thread of their own; only the rename and the
    /// directory fsync run on the I/O thread, so a snapshot of hundreds of megabytes does not
    /// hold up appends. Take one snapshot at a time.
    public func storeSnapshot(_ blob: [UInt8], through sequence: UInt64) async throws(JournalError) {
        let (storage, directory) = try await perform { (writer: inout SegmentWriter?) throws(JournalError) -> (any JournalStorage, String) in
            let writer = try writer.unwrapped()
            try writer.checkSnapshotSequence(sequence)
            return (writer.storage, writer.configuration.directory)
        }.get()
        let snapshot = JournalSnapshot(sequence: sequence, createdAt: storage.now(), blob: blob)
        let written = await withCheckedContinuation { (continuation: CheckedContinuation<SnapshotWriteFailure?, Never>) in
            let accepted = snapshotThread.submit(.run { _ in
                do throws(SnapshotWriteFailure) {
                    try writeSnapshotTemporary(snapshot, storage: storage, directory: directory)
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: error)
                }
            })
            if !accepted { continuation.resume(returning: SnapshotWriteFailure(step: .tmpWrite, cause: .badFileDescriptor, path: directory)) }
        }
        try await perform { (writer: inout SegmentWriter?) throws(JournalError) in
            let writer = try writer.unwrapped()
            if let written { throw writer.snapshotFailed(written) }
            try writer.publishSnapshot(through: sequence)
        }.get()
    }

    public func latestSnapshot() async throws(JournalError) -> JournalSnapshot? {
        try await perform { (writer: inout SegmentWriter?) throws(JournalError) -> JournalSnapshot? in
            let writer = try writer.unwrapped()
            return try loadNewestSnapshot(
                storage: writer.storage, directory: writer.configuration.directory, candidates: writer.snapshots
            ).0
        }.get()
    }

    /// Removes segments wholly covered by the newest snapshot once older than the archive
    /// retention; returns the removed file names.
    @discardableResult
    public func applyRetention() async throws(JournalError) -> [String] {
        try await perform { (writer: inout SegmentWriter?) throws(JournalError) -> [String] in
            try writer.unwrapped().applyRetention()
        }.get()
    }

    public var lastDurableSequence: UInt64 { counters.durableThrough.load(ordering: .acquiring) }

    /// Batches written so far and the records in them (group-commit effectiveness).
    public var batchStatistics: (batches: Int, records: Int) {
        (counters.batches.load(ordering: .relaxed), counters.records.load(ordering: .relaxed))
    }

    /// True once a write or sync failed (the journal then refuses all work).
    public var isFailStopped: Bool { counters.failed.load(ordering: .acquiring) }

    /// Round-trips through the I/O thread: returns once the writer has taken a job after every
    /// append queued before it. Throws when the journal is closed or has fail-stopped. A writer
    /// stuck in `fdatasync` (a hung disk) never answers: callers bound the wait (the systemd
    /// watchdog does, by not petting).
    public func heartbeat() async throws(JournalError) {
        try await perform { (writer: inout SegmentWriter?) throws(JournalError) in
            let writer = try writer.unwrapped()
            if let failure = writer.failure { throw failure }
        }.get()
    }

    /// Waits for queued work, closes the files and releases the lock.
    public func close() async {
        _ = await perform { (writer: inout SegmentWriter?) throws(JournalError) in
            writer?.close()
            writer = nil
        }
        thread.stop()
        snapshotThread.stop()
    }

    private func perform<T: Sendable>(
        _ body: @escaping @Sendable (inout SegmentWriter?) throws(JournalError) -> T
    ) async -> Result<T, JournalError> {
        await Self.perform(on: thread, body)
    }

    private static func perform<T: Sendable>(
        on thread: JournalThread, _ body: @escaping @Sendable (inout SegmentWriter?) throws(JournalError) -> T
    ) async -> Result<T, JournalError> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, JournalError>, Never>) in
            let accepted = thread.submit(.run { writer in
                continuation.resume(returning: Result { () throws(JournalError) in try body(&writer) })
            })
            if !accepted {
                continuation.resume(returning: .failure(JournalError(code: .closed, message: "the journal is closed")))
            }
        }
    }
}

extension Optional where Wrapped == SegmentWriter {
    fileprivate func unwrapped() throws(JournalError) -> SegmentWriter {
        guard let self else { throw JournalError(code: .closed, message: "the journal is closed") }
        return self
    }
}
