// Opening a journal for writing: lock, walk from the newest snapshot, cut a torn tail, resume.
import Logging
import SystemPackage

/// What opening a journal found and did.
public struct RecoveryReport: Sendable {
    /// The newest valid snapshot's sequence (0 if none).
    public var snapshotSequence: UInt64
    /// Newer snapshots that failed validation and were skipped.
    public var skippedSnapshots: [SkippedSnapshot]
    /// Segments read (those after the snapshot's position).
    public var segmentsScanned: Int
    /// Older segment files not read because the snapshot covers them.
    public var segmentsSkipped: Int
    /// Records read and validated.
    public var recordsScanned: Int
    /// The last durable sequence (0 for an empty journal).
    public var lastSequence: UInt64
    /// A torn tail that was cut off, if any.
    public var truncatedTail: SegmentDamage?
    /// Leftover temporary snapshot files removed.
    public var removedTemporaries: [String]
}

enum JournalRecovery {
    /// Opens (creating if needed) the journal directory for writing. Runs on the I/O thread.
    static func open(
        storage: any JournalStorage, configuration: JournalConfiguration, logger: Logger, counters: JournalCounters
    ) throws(JournalError) -> (SegmentWriter, RecoveryReport) {
        let directory = configuration.directory
        try prepareDirectory(storage: storage, configuration: configuration)
        let lockPath = joinPath(directory, JournalFileName.lockFile)
        let lock = try acquireLock(storage: storage, path: lockPath)
        do {
            return try recover(storage: storage, configuration: configuration, logger: logger, counters: counters, lock: lock)
        } catch {
            lock.close()
            throw error
        }
    }

    private static func recover(
        storage: any JournalStorage, configuration: JournalConfiguration, logger: Logger,
        counters: JournalCounters, lock: any JournalFile
    ) throws(JournalError) -> (SegmentWriter, RecoveryReport) {
        let directory = configuration.directory
        let walk = try walkJournal(
            storage: storage, directory: directory,
            options: WalkOptions(startAtSnapshot: true, maxPayload: configuration.maxRecordSize))
        if let problem = walk.problem { throw problem }

        var changedDirectory = false
        let listing: JournalDirectoryListing
        do {
            listing = JournalDirectoryListing(names: try storage.contentsOfDirectory(directory))
            for name in listing.temporaries {
                try storage.remove(joinPath(directory, name))
                changedDirectory = true
            }
        } catch {
            throw JournalError.io("cleaning", path: directory, error)
        }

        let file: any JournalFile
        let segmentFirst: UInt64
        var offset: Int64 = 0
        do {
            if let last = walk.segments.last {
                segmentFirst = last.firstSequence
                file = try storage.open(joinPath(directory, last.name), mode: .readWrite)
                offset = last.validEnd
                if let torn = walk.tornTail {
                    try file.truncate(to: torn.offset)
                    try file.sync()
                    logger.warning(
                        "journal torn tail truncated",
                        metadata: [
                            "journal.segment": "\(torn.segment)", "journal.offset": "\(torn.offset)",
                            "journal.bytes": "\(torn.bytesAfter)", "journal.reason": "\(torn.reason)",
                        ])
                }
            } else {
                segmentFirst = walk.nextSequence
                let name = JournalFileName.segment(firstSequence: segmentFirst).name
                file = try storage.open(joinPath(directory, name), mode: .createTruncating)
                changedDirectory = true
            }
            if changedDirectory { try storage.syncDirectory(directory) }
        } catch {
            throw JournalError.io("preparing the active segment in", path: directory, error)
        }

        let writer = SegmentWriter(
            storage: storage, configuration: configuration, logger: logger, counters: counters,
            lockFile: lock, file: file, segmentFirst: segmentFirst, offset: offset,
            nextSequence: walk.nextSequence, sealedSegments: listing.segments.filter { $0 < segmentFirst },
            snapshots: listing.snapshots)
        let report = RecoveryReport(
            snapshotSequence: walk.snapshot?.sequence ?? 0, skippedSnapshots: walk.skippedSnapshots,
            segmentsScanned: walk.segments.count, segmentsSkipped: walk.segmentsSkipped,
            recordsScanned: walk.records, lastSequence: walk.nextSequence - 1, truncatedTail: walk.tornTail,
            removedTemporaries: listing.temporaries)
        return (writer, report)
    }

    private static func parentDirectory(of path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// Creates the directory (0700) if needed, fsyncs its parent and checks that it is private.
    static func prepareDirectory(storage: any JournalStorage, configuration: JournalConfiguration) throws(JournalError) {
        let directory = configuration.directory
        do {
            try storage.createDirectory(directory)
            // Make the journal directory's own entry durable, so a new journal cannot vanish.
            try storage.syncDirectory(parentDirectory(of: directory))
            let status = try storage.status(of: directory)
            if configuration.requirePrivateDirectory && status.permissions & 0o077 != 0 {
                throw JournalError(
                    code: .insecurePermissions,
                    message: "journal directory \(directory) has mode 0\(String(status.permissions, radix: 8)); "
                        + "it must not be accessible to group or others (chmod 700 \(directory))")
            }
        } catch let error as JournalError {
            throw error
        } catch let error as Errno {
            throw JournalError.io("creating", path: directory, error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Takes the writer lock and records our pid in it; a clear error names the holder.
    static func acquireLock(storage: any JournalStorage, path: String) throws(JournalError) -> any JournalFile {
        do {
            let lock = try storage.lockExclusively(path)
            let pid = Array("\(getpid())\n".utf8)
            try lock.truncate(to: 0)
            try lock.writeAll(pid, at: 0)
            return lock
        } catch {
            if error == .wouldBlock || error == .resourceTemporarilyUnavailable {
                var holder = ""
                if let file = try? storage.open(path, mode: .readOnly),
                    let bytes = try? file.readBytes(count: 32, at: 0)
                {
                    file.close()
                    let pid = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
                    if !pid.isEmpty { holder = " (pid \(pid))" }
                }
                throw JournalError(
                    code: .locked,
                    message: "journal \(path) is locked by another writer\(holder); only one process may write a journal",
                    location: .init(file: JournalFileName.lockFile), cause: error)
            }
            throw JournalError.io("locking", path: path, error)
        }
    }
}

import Glibc
