// The writing side of a file journal. Lives on the journal's I/O thread and is touched by no
// other: batches, rolls, snapshots and retention run one after another, never concurrently.
import Logging
import Synchronization
import SystemPackage

/// Counters shared between the I/O thread and callers.
final class JournalCounters: Sendable {
    /// The highest sequence whose fdatasync has returned.
    let durableThrough = Atomic<UInt64>(0)
    /// True once the journal has fail-stopped.
    let failed = Atomic<Bool>(false)
    /// Batches written (each one write and one fdatasync).
    let batches = Atomic<Int>(0)
    /// Records written in those batches.
    let records = Atomic<Int>(0)
}

final class SegmentWriter {
    let storage: any JournalStorage
    let configuration: JournalConfiguration
    let logger: Logger
    let counters: JournalCounters
    private let metrics = JournalMetrics()
    private var directory: String { configuration.directory }

    private var lockFile: (any JournalFile)?
    private var file: (any JournalFile)?
    /// First sequence of the segment being appended to.
    private(set) var segmentFirst: UInt64
    /// Bytes of valid records in the current segment: where the next batch goes.
    private(set) var offset: Int64
    private(set) var nextSequence: UInt64
    /// First sequences of the sealed segments still on disk, oldest first.
    private(set) var sealedSegments: [UInt64]
    /// Sequences of the snapshot files on disk, newest first.
    private(set) var snapshots: [UInt64]
    /// Set once a write or sync failed: from then on nothing is reported durable.
    private(set) var failure: JournalError?
    /// Reused encoding buffer; grows to the largest batch seen.
    private var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
    private var batchBytes = 0
    private var batchBuffer: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: scratch[0..<batchBytes]) }

    deinit { scratch.deallocate() }

    init(
        storage: any JournalStorage, configuration: JournalConfiguration, logger: Logger,
        counters: JournalCounters, lockFile: any JournalFile, file: any JournalFile,
        segmentFirst: UInt64, offset: Int64, nextSequence: UInt64, sealedSegments: [UInt64],
        snapshots: [UInt64]
    ) {
        self.storage = storage
        self.configuration = configuration
        self.logger = logger
        self.counters = counters
        self.lockFile = lockFile
        self.file = file
        self.segmentFirst = segmentFirst
        self.offset = SectorLayout.alignUp(offset)
        self.nextSequence = nextSequence
        self.sealedSegments = sealedSegments
        self.snapshots = snapshots
        counters.durableThrough.store(nextSequence - 1, ordering: .releasing)
        metrics.opened(durableThrough: nextSequence - 1)
    }

    private var segmentName: String { JournalFileName.segment(firstSequence: segmentFirst).name }

    // MARK: Appending

    /// Writes `payloads` as consecutive records with one write and one fdatasync; returns the
    /// first sequence. Throws `.diskFull` (nothing of the batch remains, appends may resume) or
    /// `.failStopped` (never recovers in this process).
    func append(_ payloads: [[UInt8]]) throws(JournalError) -> UInt64 {
        if let failure { throw failure }
        guard let current = file else { throw JournalError(code: .closed, message: "the journal is closed") }
        var bytes = 0
        for payload in payloads {
            guard payload.count <= configuration.maxRecordSize else {
                throw JournalError(
                    code: .invalidArgument,
                    message: "record of \(payload.count) bytes exceeds the limit of \(configuration.maxRecordSize)")
            }
            bytes += RecordHeader.size + payload.count
        }
        let recordBytes = bytes
        bytes = SectorLayout.alignUp(bytes)
        var target = current
        if offset > 0 && offset + Int64(bytes) > Int64(configuration.segmentSize) {
            target = try roll()
        }
        let first = nextSequence
        encodeBatch(payloads, firstSequence: first, recordBytes: recordBytes, totalBytes: bytes)
        try validateBatch(count: payloads.count, firstSequence: first, recordBytes: recordBytes)
        do {
            try target.write(UnsafeRawBufferPointer(batchBuffer), at: offset)
        } catch {
            try recoverFromFailedWrite(error)
        }
        let syncStarted = ContinuousClock.now
        do {
            try target.sync()
        } catch {
            throw failStop("fdatasync of segment \(segmentName) failed", offset: offset, cause: error)
        }
        let syncDuration = ContinuousClock.now - syncStarted
        offset += Int64(bytes)
        nextSequence += UInt64(payloads.count)
        counters.batches.add(1, ordering: .relaxed)
        counters.records.add(payloads.count, ordering: .relaxed)
        counters.durableThrough.store(nextSequence - 1, ordering: .releasing)
        metrics.batchWritten(records: payloads.count, bytes: bytes, fsync: syncDuration, durableThrough: nextSequence - 1)
        return first
    }

    private func encodeBatch(_ payloads: [[UInt8]], firstSequence: UInt64, recordBytes: Int, totalBytes: Int) {
        let syncedThrough = nextSequence - 1
        let timestamp = storage.now()
        if scratch.count < totalBytes {
            scratch.deallocate()
            scratch = .allocate(byteCount: max(totalBytes, scratch.count * 2), alignment: 16)
        }
        batchBytes = totalBytes
        do {
            let buffer = batchBuffer
            var at = 0
            for (index, payload) in payloads.enumerated() {
                var header = RecordHeader(
                    payloadLength: UInt32(payload.count), sequence: firstSequence + UInt64(index),
                    syncedThrough: syncedThrough, timestamp: timestamp)
                header.store(into: buffer, at: at)
                payload.withUnsafeBytes { source in
                    if !source.isEmpty {
                        (buffer.baseAddress! + at + RecordHeader.size).copyMemory(from: source.baseAddress!, byteCount: source.count)
                    }
                }
                header.checksum = RecordHeader.computeChecksum(UnsafeRawBufferPointer(buffer), at: at, payloadLength: payload.count)
                header.store(into: buffer, at: at)
                at += header.frameSize
            }
            // Zero padding to the sector boundary (the buffer is reused between batches).
            if totalBytes > recordBytes {
                (buffer.baseAddress! + recordBytes).initializeMemory(as: UInt8.self, repeating: 0, count: totalBytes - recordBytes)
            }
        }
    }

    /// Checks the encoded batch right before writing it (TIGER_STYLE): every frame must parse,
    /// checksum and follow in sequence, exactly as recovery will read it.
    private func validateBatch(count: Int, firstSequence: UInt64, recordBytes: Int) throws(JournalError) {
        let valid = { (buffer: UnsafeRawBufferPointer) -> Bool in
            var at = 0
            for index in 0..<count {
                guard case .success(let header) = validateFrame(
                    buffer, at: at, available: buffer.count - at, maxPayload: configuration.maxRecordSize),
                    header.sequence == firstSequence + UInt64(index)
                else { return false }
                at += header.frameSize
            }
            return at == recordBytes && SectorLayout.isZero(UnsafeRawBufferPointer(rebasing: buffer[recordBytes...]))
        }(UnsafeRawBufferPointer(batchBuffer))
        if !valid {
            throw failStop("an encoded batch failed validation before writing (memory corruption?)", offset: offset, cause: nil)
        }
    }

    /// After a failed write: out of space is survivable once the partial batch is cut off again
    /// and that cut is durable; anything else fail-stops.
    private func recoverFromFailedWrite(_ error: Errno) throws(JournalError) -> Never {
        guard JournalError.isOutOfSpace(error), let target = file else {
            throw failStop("write to segment \(segmentName) failed", offset: offset, cause: error)
        }
        do {
            try target.truncate(to: offset)
            try target.sync()
        } catch {
            throw failStop("cutting a partial batch off segment \(segmentName) after ENOSPC failed", offset: offset, cause: error)
        }
        metrics.diskWasFull()
        logger.warning("journal disk full", metadata: ["journal.segment": "\(segmentName)", "journal.offset": "\(offset)"])
        throw JournalError(
            code: .diskFull,
            message: "disk full while appending to segment \(segmentName) at offset \(offset); nothing of this batch was kept",
            location: .init(file: segmentName, offset: offset), cause: error)
    }

    /// Seals the current segment (already synced) and starts a new one named for the next
    /// sequence; the directory is fsynced so the new name survives a crash.
    private func roll() throws(JournalError) -> any JournalFile {
        let name = JournalFileName.segment(firstSequence: nextSequence).name
        let newFile: any JournalFile
        do {
            newFile = try storage.open(joinPath(directory, name), mode: .createTruncating)
        } catch {
            if JournalError.isOutOfSpace(error) {
                throw JournalError(
                    code: .diskFull, message: "disk full while creating segment \(name)",
                    location: .init(file: name, offset: 0), cause: error)
            }
            throw failStop("creating segment \(name) failed", offset: 0, cause: error)
        }
        do {
            try storage.syncDirectory(directory)
        } catch {
            newFile.close()
            throw failStop("fsync of directory \(directory) after creating \(name) failed", offset: 0, cause: error)
        }
        file?.close()
        sealedSegments.append(segmentFirst)
        segmentFirst = nextSequence
        offset = 0
        file = newFile
        logger.debug("journal segment rolled", metadata: ["journal.segment": "\(name)"])
        return newFile
    }

    /// Enters the fail-stop state and returns the error to throw.
    private func failStop(_ what: String, offset: Int64, cause: Errno?) -> JournalError {
        let error = JournalError(
            code: .failStopped,
            message: "\(what); the journal has stopped and reports nothing durable again until the process restarts",
            location: .init(file: segmentName, offset: offset), cause: cause)
        failure = error
        counters.failed.store(true, ordering: .releasing)
        metrics.stopped()
        // Close without syncing: after a failed fsync the kernel may have dropped the dirty
        // pages, and a later fsync could report success for data that is gone.
        file?.close()
        file = nil
        logger.critical("journal fail-stop", metadata: ["journal.error": "\(error)"])
        return error
    }

    // MARK: Snapshots and retention

    /// Stores a snapshot covering records up to `sequence`, then prunes old snapshots and applies
    /// retention. A sync failure fail-stops the journal.
    func storeSnapshot(_ blob: [UInt8], through sequence: UInt64) throws(JournalError) {
        try checkSnapshotSequence(sequence)
        let snapshot = JournalSnapshot(sequence: sequence, createdAt: storage.now(), blob: blob)
        do {
            try writeSnapshotTemporary(snapshot, storage: storage, directory: directory)
        } catch {
            throw snapshotFailed(error)
        }
        try publishSnapshot(through: sequence)
    }

    /// Throws unless a snapshot may cover `sequence` (durable, journal healthy).
    func checkSnapshotSequence(_ sequence: UInt64) throws(JournalError) {
        if let failure { throw failure }
        guard sequence >= 1, sequence < nextSequence else {
            throw JournalError(
                code: .invalidArgument,
                message: "a snapshot must cover a durable sequence (1...\(nextSequence - 1)), not \(sequence)")
        }
    }

    /// The error for a failed snapshot write; a failed sync fail-stops the journal.
    func snapshotFailed(_ error: SnapshotWriteFailure) -> JournalError {
        if error.isSyncFailure {
            return failStop("snapshot \(error.path) failed at \(error.step.rawValue)", offset: 0, cause: error.cause)
        }
        return error.journalError
    }

    /// Renames a written temporary snapshot into place, then prunes old snapshots and applies
    /// retention.
    func publishSnapshot(through sequence: UInt64) throws(JournalError) {
        if let failure { throw failure }
        do {
            try publishSnapshotTemporary(sequence: sequence, storage: storage, directory: directory)
        } catch {
            throw snapshotFailed(error)
        }
        snapshots.removeAll { $0 == sequence }
        snapshots.insert(sequence, at: 0)
        snapshots.sort(by: >)
        try pruneSnapshots()
        _ = try applyRetention()
    }

    private func pruneSnapshots() throws(JournalError) {
        guard snapshots.count > configuration.snapshotsKept else { return }
        let doomed = snapshots[configuration.snapshotsKept...]
        for sequence in doomed {
            let path = joinPath(directory, JournalFileName.snapshot(sequence: sequence).name)
            do { try storage.remove(path) } catch { throw JournalError.io("remove", path: path, error) }
        }
        snapshots.removeLast(doomed.count)
        try syncDirectoryOrStop()
    }

    /// Removes sealed segments that the newest snapshot wholly covers and whose last write is
    /// older than the archive retention; oldest first, so the remaining segments stay contiguous.
    func applyRetention() throws(JournalError) -> [String] {
        if let failure { throw failure }
        guard let covered = snapshots.first else { return [] }
        let now = storage.now()
        var removed: [String] = []
        while let first = sealedSegments.first {
            let next = sealedSegments.dropFirst().first ?? segmentFirst
            guard next - 1 <= covered else { break }
            let name = JournalFileName.segment(firstSequence: first).name
            let path = joinPath(directory, name)
            do {
                let status = try storage.status(of: path)
                guard now - status.modificationTime >= configuration.archiveRetentionNanoseconds else { break }
                try storage.remove(path)
            } catch {
                throw JournalError.io("retention of", path: path, error)
            }
            sealedSegments.removeFirst()
            removed.append(name)
        }
        if !removed.isEmpty {
            try syncDirectoryOrStop()
            logger.info("journal retention removed segments", metadata: ["journal.removed": "\(removed.count)"])
        }
        return removed
    }

    private func syncDirectoryOrStop() throws(JournalError) {
        do {
            try storage.syncDirectory(directory)
        } catch {
            throw failStop("fsync of directory \(directory) failed", offset: 0, cause: error)
        }
    }

    // MARK: Reading and closing

    /// Reads up to `limit` records from `sequence` on. Runs between batches, so everything on
    /// disk is durable.
    func records(from sequence: UInt64, limit: Int) throws(JournalError) -> [JournalRecord] {
        if let failure { throw failure }
        guard limit > 0, sequence < nextSequence else { return [] }
        return try JournalMaintenance.records(
            storage: storage, directory: directory, from: sequence, limit: limit,
            maxRecordSize: configuration.maxRecordSize)
    }

    /// Closes the files and releases the lock. Appends made before were already synced.
    func close() {
        file?.close()
        file = nil
        lockFile?.close()
        lockFile = nil
        if failure == nil {
            failure = JournalError(code: .closed, message: "the journal is closed")
        }
    }
}

/// A record read back from the journal.
public struct JournalRecord: Sendable, Equatable {
    /// Its sequence number.
    public var sequence: UInt64
    /// When it was appended, nanoseconds since the Unix epoch.
    public var timestamp: Int64
    /// The payload, as appended.
    public var payload: [UInt8]

    public init(sequence: UInt64, timestamp: Int64, payload: [UInt8]) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.payload = payload
    }
}
