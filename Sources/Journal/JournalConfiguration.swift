// Limits and policies of a file journal. Every number has a default and a reason (DESIGN §1.5).

/// How a ``FileJournal`` lays out and bounds its files.
public struct JournalConfiguration: Sendable {
    /// The directory holding segments, snapshots and the lock file. Created 0700 if missing.
    public var directory: String
    /// A segment rolls when the next batch would take it past this many bytes. Default 64 MiB:
    /// big enough that rolls (and their directory fsyncs) are rare, small enough that retention
    /// frees space in useful steps.
    public var segmentSize: Int = 64 << 20
    /// Largest payload one record may carry. Default 16 MiB (a maximum MLLP frame is 1 MiB).
    public var maxRecordSize: Int = 16 << 20
    /// At most this many records go into one write + fdatasync.
    public var maxBatchRecords: Int = 1024
    /// At most this many bytes go into one write + fdatasync (a single larger record still goes
    /// alone).
    public var maxBatchBytes: Int = 4 << 20
    /// Group commit: when fewer records are queued than `gatherTarget` (0: as many as the
    /// previous batch held), the writer waits up to this long for more before it writes and
    /// syncs. Default 300 µs, which keeps a lone sender's ACK latency low; a bulk loader (offline
    /// replay) waits longer for fewer, larger syncs.
    public var gatherWait: Duration = .microseconds(300)
    /// Group commit: the batch size worth waiting `gatherWait` for; 0 means the previous batch's
    /// size (the default: adapts to the load).
    public var gatherTarget: Int = 0
    /// Segments wholly covered by a snapshot are kept this long after their last write, then
    /// removed. Default 7 days.
    public var archiveRetention: Duration = .seconds(7 * 24 * 3600)
    /// How many snapshot files to keep (the newest ones). At least 1.
    public var snapshotsKept: Int = 2
    /// Refuse to open a journal directory that group or others can access (TESTPLAN I8/T18).
    public var requirePrivateDirectory = true

    /// A configuration for a journal in `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// A configuration for the journal of a state directory: `<state>/journal`.
    public init(stateDirectory: String) {
        self.directory = joinPath(stateDirectory, "journal")
    }

    /// The gather wait in nanoseconds.
    var gatherWaitNanoseconds: Int64 {
        let (seconds, attoseconds) = gatherWait.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The archive retention in nanoseconds.
    var archiveRetentionNanoseconds: Int64 {
        let (seconds, attoseconds) = archiveRetention.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    func validated() throws(JournalError) -> JournalConfiguration {
        func check(_ ok: Bool, _ what: String) throws(JournalError) {
            if !ok { throw JournalError(code: .invalidArgument, message: "invalid journal configuration: \(what)") }
        }
        try check(segmentSize >= 512, "segmentSize must be at least 512 bytes")
        try check(maxRecordSize > 0 && maxRecordSize <= Int(UInt32.max) - RecordHeader.size, "maxRecordSize out of range")
        try check(maxBatchRecords >= 1, "maxBatchRecords must be at least 1")
        try check(maxBatchBytes >= 1, "maxBatchBytes must be at least 1")
        try check(snapshotsKept >= 1, "snapshotsKept must be at least 1")
        try check(gatherWait >= .zero && gatherWait <= .seconds(1), "gatherWait must be between 0 and 1 s")
        try check(gatherTarget >= 0, "gatherTarget must not be negative")
        try check(archiveRetention >= .zero, "archiveRetention must not be negative")
        return self
    }
}
