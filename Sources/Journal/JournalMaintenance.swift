// Offline tools over a journal directory: read, verify, dump, repair. The `switchboard journal`
// commands are thin wrappers around these functions.
import SystemPackage

/// Operator tools for a journal directory. They read with their own file handles and may run
/// while a writer appends (readers see a consistent, durable-or-not prefix); `repair` takes the
/// writer lock and so refuses to run beside a live daemon.
public enum JournalMaintenance {
    /// Reads up to `limit` records from `sequence` on. A torn tail (a write in progress, or a
    /// crash) ends the read quietly; corruption throws.
    public static func records(
        directory: String, from sequence: UInt64 = 1, limit: Int = .max, maxRecordSize: Int = 16 << 20
    ) throws(JournalError) -> [JournalRecord] {
        try records(storage: SystemStorage(), directory: directory, from: sequence, limit: limit, maxRecordSize: maxRecordSize)
    }

    package static func records(
        storage: any JournalStorage, directory: String, from sequence: UInt64, limit: Int, maxRecordSize: Int = 16 << 20
    ) throws(JournalError) -> [JournalRecord] {
        var result: [JournalRecord] = []
        guard limit > 0 else { return result }
        let walk = try walkJournal(
            storage: storage, directory: directory,
            options: WalkOptions(startAtSnapshot: false, maxPayload: maxRecordSize, startSequence: sequence)
        ) { _, record, payload in
            if record.sequence >= sequence {
                result.append(JournalRecord(sequence: record.sequence, timestamp: record.timestamp, payload: Array(payload)))
            }
            return result.count < limit
        }
        if let problem = walk.problem { throw problem }
        return result
    }

    /// Walks every segment (not just those after the snapshot) and every record, checking
    /// framing, checksums and sequence continuity. The result's `problem` or `tornTail` holds the
    /// first damage found.
    public static func verify(directory: String, maxRecordSize: Int = 16 << 20) throws(JournalError) -> JournalWalk {
        try verify(storage: SystemStorage(), directory: directory, maxRecordSize: maxRecordSize)
    }

    package static func verify(storage: any JournalStorage, directory: String, maxRecordSize: Int = 16 << 20) throws(JournalError) -> JournalWalk {
        try walkJournal(storage: storage, directory: directory, options: WalkOptions(startAtSnapshot: false, maxPayload: maxRecordSize))
    }

    /// Calls `body` with the segment name and header of every valid record from `sequence` on,
    /// in order; returns the walk (whose `problem`/`tornTail` tells where reading stopped).
    public static func dump(
        directory: String, from sequence: UInt64 = 1, maxRecordSize: Int = 16 << 20,
        _ body: (String, ScannedRecord) -> Void
    ) throws(JournalError) -> JournalWalk {
        try walkJournal(
            storage: SystemStorage(), directory: directory,
            options: WalkOptions(startAtSnapshot: false, maxPayload: maxRecordSize, startSequence: sequence)
        ) { segment, record, _ in
            if record.sequence >= sequence { body(segment, record) }
            return true
        }
    }

    /// Like ``dump(directory:from:maxRecordSize:_:)``, also passing each record's payload (valid
    /// only during the call).
    public static func dumpPayloads(
        directory: String, from sequence: UInt64 = 1, maxRecordSize: Int = 16 << 20,
        _ body: (String, ScannedRecord, UnsafeRawBufferPointer) -> Void
    ) throws(JournalError) -> JournalWalk {
        try walkJournal(
            storage: SystemStorage(), directory: directory,
            options: WalkOptions(startAtSnapshot: false, maxPayload: maxRecordSize, startSequence: sequence)
        ) { segment, record, payload in
            if record.sequence >= sequence { body(segment, record, payload) }
            return true
        }
    }

    /// The newest snapshot whose checksum holds, read without the writer lock (works beside a
    /// running daemon: snapshots appear by rename, whole), and the newer ones that failed
    /// validation.
    public static func latestSnapshot(directory: String) throws(JournalError) -> (snapshot: JournalSnapshot?, skipped: [SkippedSnapshot]) {
        let storage = SystemStorage()
        let names: [String]
        do {
            names = try storage.contentsOfDirectory(directory)
        } catch {
            throw JournalError.io("list", path: directory, error)
        }
        let listing = JournalDirectoryListing(names: names)
        return try loadNewestSnapshot(storage: storage, directory: directory, candidates: listing.snapshots)
    }

    /// What `repair` did.
    public struct RepairOutcome: Sendable {
        /// The torn tail that was cut off, nil if the journal was clean.
        public var truncated: SegmentDamage?
        /// Where the cut bytes were saved (a file in the journal directory).
        public var savedTo: String?
    }

    /// Cuts a torn or corrupt tail off the last segment, after copying the bytes aside into
    /// `torn-<segment>-at-<offset>.bin` in the journal directory. Refuses (throws `.corrupt`)
    /// when damage is anywhere else: cutting there would drop acknowledged records.
    public static func repair(directory: String, maxRecordSize: Int = 16 << 20) throws(JournalError) -> RepairOutcome {
        try repair(storage: SystemStorage(), directory: directory, maxRecordSize: maxRecordSize)
    }

    package static func repair(storage: any JournalStorage, directory: String, maxRecordSize: Int = 16 << 20) throws(JournalError) -> RepairOutcome {
        let lock = try JournalRecovery.acquireLock(storage: storage, path: joinPath(directory, JournalFileName.lockFile))
        defer { lock.close() }
        let walk = try verify(storage: storage, directory: directory, maxRecordSize: maxRecordSize)
        if var problem = walk.problem {
            problem.message = "refusing to repair: \(problem.message). Only a damaged tail of the last segment can be "
                + "cut without losing acknowledged records; restore this segment from a backup or replica"
            throw problem
        }
        guard let torn = walk.tornTail else { return RepairOutcome(truncated: nil, savedTo: nil) }
        let segmentPath = joinPath(directory, torn.segment)
        let asideName = "torn-\(torn.segment)-at-\(torn.offset).bin"
        let asidePath = joinPath(directory, asideName)
        do {
            let segment = try storage.open(segmentPath, mode: .readWrite)
            defer { segment.close() }
            let bytes = try segment.readBytes(count: Int(torn.bytesAfter), at: torn.offset)
            let aside = try storage.open(asidePath, mode: .createTruncating)
            defer { aside.close() }
            try aside.writeAll(bytes, at: 0)
            try aside.sync()
            try storage.syncDirectory(directory)
            try segment.truncate(to: torn.offset)
            try segment.sync()
        } catch {
            throw JournalError.io("repairing", path: segmentPath, error)
        }
        return RepairOutcome(truncated: torn, savedTo: asidePath)
    }
}
