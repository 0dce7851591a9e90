// Walks a journal directory: picks the newest valid snapshot, then scans segments in order,
// checking every frame and the sequence continuity between segments. Recovery (open), readers,
// `journal verify`, `dump` and `repair` all go through this one function.
import SystemPackage

/// One segment as a walk found it.
public struct SegmentSummary: Sendable, Equatable {
    /// File name.
    public var name: String
    /// Sequence of its first record (from the name).
    public var firstSequence: UInt64
    /// Valid records read.
    public var records: Int
    /// Sequence of its last valid record, nil if it holds none.
    public var lastSequence: UInt64?
    /// End of its last valid record.
    public var validEnd: Int64
    /// Size of the file.
    public var fileSize: Int64
}

/// Everything a walk found.
public struct JournalWalk: Sendable {
    /// The newest valid snapshot, if any.
    public var snapshot: JournalSnapshot?
    /// Newer snapshot files that failed validation.
    public var skippedSnapshots: [SkippedSnapshot] = []
    /// Segments scanned, in order.
    public var segments: [SegmentSummary] = []
    /// Segment files present before the first scanned one (covered by the snapshot).
    public var segmentsSkipped = 0
    /// Valid records read.
    public var records = 0
    /// Damage at the end of the last segment that an interrupted write explains; open cuts it.
    public var tornTail: SegmentDamage?
    /// The first problem that makes the journal unusable (corruption, missing records).
    public var problem: JournalError?
    /// The sequence the next append gets.
    public var nextSequence: UInt64 = 1
}

/// Options for a walk.
package struct WalkOptions: Sendable {
    /// Start at the segment holding the record after the newest snapshot (recovery); false
    /// walks every segment (verify).
    package var startAtSnapshot: Bool
    /// Largest payload a frame may claim.
    package var maxPayload: Int
    /// Start at the segment holding this sequence instead (reads from a position).
    package var startSequence: UInt64?

    package init(startAtSnapshot: Bool, maxPayload: Int, startSequence: UInt64? = nil) {
        self.startAtSnapshot = startAtSnapshot
        self.maxPayload = maxPayload
        self.startSequence = startSequence
    }
}

/// Walks the journal in `directory`, calling `visit` for each valid record in order (returning
/// false stops the walk). I/O failures throw; damage is reported in the result (`tornTail`,
/// `problem`).
package func walkJournal(
    storage: any JournalStorage,
    directory: String,
    options: WalkOptions,
    visit: (String, ScannedRecord, UnsafeRawBufferPointer) throws(JournalError) -> Bool = { _, _, _ in true }
) throws(JournalError) -> JournalWalk {
    let names: [String]
    do {
        names = try storage.contentsOfDirectory(directory)
    } catch {
        if error == .noSuchFileOrDirectory {
            throw JournalError(code: .notFound, message: "no journal directory at \(directory)", cause: error)
        }
        throw JournalError.io("list", path: directory, error)
    }
    let listing = JournalDirectoryListing(names: names)
    var walk = JournalWalk()
    (walk.snapshot, walk.skippedSnapshots) = try loadNewestSnapshot(
        storage: storage, directory: directory, candidates: listing.snapshots)
    let covered = walk.snapshot?.sequence ?? 0
    walk.nextSequence = covered + 1

    var start = 0
    if let from = options.startSequence {
        start = listing.segments.lastIndex(where: { $0 <= max(from, 1) }) ?? 0
    } else if options.startAtSnapshot, covered > 0 {
        start = listing.segments.lastIndex(where: { $0 <= covered + 1 }) ?? 0
    }
    if let first = listing.segments.dropFirst(start).first, first > covered + 1, options.startSequence == nil {
        let name = JournalFileName.segment(firstSequence: first).name
        walk.problem = JournalError(
            code: .corrupt,
            message: "records \(covered + 1)...\(first - 1) are missing: the first segment, \(name), starts at \(first) "
                + (covered > 0 ? "and the newest snapshot covers only up to \(covered)" : "and there is no snapshot"),
            location: .init(file: name, offset: 0))
        return walk
    }
    walk.segmentsSkipped = start

    var previous: SegmentSummary?
    for (index, first) in listing.segments.enumerated().dropFirst(start) {
        let name = JournalFileName.segment(firstSequence: first).name
        let isLast = index == listing.segments.count - 1
        if let previous {
            let expected = (previous.lastSequence ?? (previous.firstSequence - 1)) + 1
            if previous.records == 0 || first != expected {
                walk.problem = JournalError(
                    code: .corrupt,
                    message: previous.records == 0
                        ? "segment \(previous.name) is empty but segment \(name) follows it"
                        : "segment \(name) starts at sequence \(first) but \(previous.name) ends at \(expected - 1)",
                    location: .init(file: name, offset: 0))
                return walk
            }
        }
        let scan: SegmentScan
        do {
            let file = try storage.open(joinPath(directory, name), mode: .readOnly)
            defer { file.close() }
            scan = try scanSegment(file, name: name, firstSequence: first, maxPayload: options.maxPayload) {
                (record, payload) throws(JournalError) in try visit(name, record, payload)
            }
        } catch let error as Errno {
            throw JournalError.io("open", path: joinPath(directory, name), error)
        } catch let error as JournalError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        let summary = SegmentSummary(
            name: name, firstSequence: first, records: scan.records, lastSequence: scan.lastSequence,
            validEnd: scan.validEnd, fileSize: scan.fileSize)
        walk.segments.append(summary)
        walk.records += scan.records
        walk.nextSequence = (scan.lastSequence ?? (first - 1)) + 1
        previous = summary
        if scan.stopped { return walk }
        if let damage = scan.damage {
            if isLast && damage.isTornTail {
                walk.tornTail = damage
            } else {
                walk.problem = corruptionError(damage, isLast: isLast)
                return walk
            }
        }
    }
    if let snapshot = walk.snapshot, snapshot.sequence >= walk.nextSequence, !listing.segments.isEmpty {
        walk.problem = JournalError(
            code: .corrupt,
            message: "snapshot \(JournalFileName.snapshot(sequence: snapshot.sequence).name) covers sequence "
                + "\(snapshot.sequence) but the journal ends at \(walk.nextSequence - 1)",
            location: .init(file: JournalFileName.snapshot(sequence: snapshot.sequence).name))
    }
    return walk
}

private func corruptionError(_ damage: SegmentDamage, isLast: Bool) -> JournalError {
    var reason = damage.reason
    if let evidence = damage.evidence {
        reason += "; record \(evidence.sequence) at offset \(evidence.offset) was written after it had been synced"
    } else if !isLast {
        reason += "; this segment is sealed (a later segment exists), so this is not a torn write"
    }
    return .corrupt(reason, file: damage.segment, offset: damage.offset)
}
