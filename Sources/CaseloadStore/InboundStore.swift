// The journal-backed store of received frames, the duplicate index over it, and the caseload
// projected from it.
import Caseload
public import Journal
public import Logging
import Outbox
import Synchronization

/// Appends ``InboundRecord``s to the journal and keeps the ``DuplicateIndex`` in step with it.
///
/// At start-up ``open(journal:duplicates:logger:nowMicroseconds:)`` loads the newest snapshot
/// and replays the records after it, so the caseload is back and a resend after a restart is
/// still recognised (keys inside the retention window).
public final class InboundStore: Sendable {
    public let journal: any AppendOnlyJournal
    public let duplicates: DuplicateIndex
    /// The caseload and outbox as the journal held them when the store opened, until the
    /// engine takes them.
    private let initial: Mutex<StoreState?>
    /// The sequence of the snapshot the store started from (0: none, full replay).
    public let snapshotSequence: UInt64

    private init(journal: any AppendOnlyJournal, duplicates: DuplicateIndex, state: StoreState, snapshotSequence: UInt64) {
        self.journal = journal
        self.duplicates = duplicates
        self.initial = Mutex(state)
        self.snapshotSequence = snapshotSequence
    }

    /// Hands over the caseload read at open, once: the store keeps no reference, so the engine's
    /// changes never copy tables still shared with it. Empty on a second call.
    public func takeInitialState() -> StoreState {
        initial.withLock { state in
            defer { state = nil }
            return state ?? StoreState()
        }
    }

    /// Rebuilds the caseload from the newest snapshot and the records after it (after a failed
    /// append left the live one ahead of the journal). Undecodable records were counted at
    /// open; they are skipped.
    public func replayState() async throws(JournalError) -> StoreState {
        var (snapshot, from) = try await Self.startingPoint(journal: journal, logger: nil)
        var state = StoreState(caseload: snapshot.caseload, outbox: snapshot.outbox)
        snapshot = StoreSnapshot(caseload: CaseloadState(), duplicates: [])  // one owner: no table copies below
        try await Self.forEachRecord(in: journal, from: from) { record in
            state.apply(payload: record.payload, sequence: record.sequence)
        }
        return state
    }

    /// Every record of the journal from `sequence` on, in order, read in pages. Throws when
    /// the first record found is later than `sequence` (the ones before were removed by
    /// retention: a replay from there would silently miss them).
    private static func forEachRecord(
        in journal: any AppendOnlyJournal, from sequence: UInt64, _ body: (JournalRecord) -> Void
    ) async throws(JournalError) {
        var next = sequence
        var first = true
        while true {
            let page = try await journal.records(from: next, limit: 16_384)
            guard let last = page.last else { return }
            if first, let earliest = page.first, earliest.sequence > max(sequence, 1) {
                throw JournalError(code: .corrupt, message: """
                    the caseload needs journal records from \(max(sequence, 1)) on, but the journal starts at \
                    \(earliest.sequence) (older segments were removed after a snapshot this build could not use); \
                    start a build that reads that snapshot
                    """)
            }
            first = false
            for record in page { body(record) }
            next = last.sequence + 1
        }
    }

    /// The newest usable snapshot (or an empty store) and the first sequence to replay after it.
    /// A snapshot this build cannot decode is logged and skipped: the journal replays from 1.
    private static func startingPoint(
        journal: any AppendOnlyJournal, logger: Logger?, duplicates index: DuplicateIndex? = nil, cutoff: Int64 = 0
    ) async throws(JournalError) -> (StoreSnapshot, UInt64) {
        let empty = StoreSnapshot(caseload: CaseloadState(), duplicates: [])
        guard let snapshot = try await journal.latestSnapshot() else { return (empty, 1) }
        do {
            let decoded = try StoreSnapshotCodec.decode(snapshot.blob, loadingDuplicatesInto: index, receivedSince: cutoff)
            return (decoded, snapshot.sequence + 1)
        } catch {
            logger?.warning("snapshot not usable, replaying the whole journal", metadata: [
                "snapshot.seq": "\(snapshot.sequence)", "error": "\(error)",
            ])
            return (empty, 1)
        }
    }

    /// Opens the store over an opened journal: the newest snapshot, then the records after it
    /// replayed into the caseload and the duplicate index. Payloads this build cannot decode are
    /// counted and logged, not fatal: the journal verified their checksums, so they come from
    /// another record kind or a newer version.
    public static func open(
        journal: any AppendOnlyJournal, duplicates configuration: DuplicateIndex.Configuration = .init(),
        logger: Logger, nowMicroseconds: Int64
    ) async throws(JournalError) -> InboundStore {
        let started = ContinuousClock.now
        var index = DuplicateIndex(configuration: configuration)
        let cutoff = nowMicroseconds - configuration.retentionSeconds * 1_000_000
        var scanned = 0
        var undecodable = 0
        var (snapshot, from) = try await startingPoint(journal: journal, logger: logger, duplicates: index, cutoff: cutoff)
        // A snapshot that failed to decode may have loaded some keys already: start clean.
        if from == 1, index.count > 0 { index = DuplicateIndex(configuration: configuration) }
        var state = StoreState(caseload: snapshot.caseload, outbox: snapshot.outbox)
        // One owner for the tables: the tail's changes must not copy them.
        snapshot = StoreSnapshot(caseload: CaseloadState(), duplicates: [])
        try await forEachRecord(in: journal, from: from) { record in
            scanned += 1
            let kind = InboundRecordCodec.kind(of: record.payload)
            if kind == .action || kind == .outbox {
                if !state.apply(payload: record.payload, sequence: record.sequence) { undecodable += 1 }
                return
            }
            guard kind == .inbound else { return }
            do {
                let inbound = try InboundRecordCodec.decode(record.payload)
                state.apply(inbound, sequence: record.sequence)
                if let key = inbound.duplicateKey, inbound.receivedAtMicroseconds >= cutoff {
                    index.load(key, hash: inbound.contentHash, ack: inbound.ack, sequence: record.sequence,
                               receivedAtMicroseconds: inbound.receivedAtMicroseconds)
                }
            } catch {
                undecodable += 1
                if undecodable <= 10 {
                    logger.warning("journal record not decodable", metadata: [
                        "journal.seq": "\(record.sequence)", "error": "\(error)",
                    ])
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        logger.info("duplicate index and caseload rebuilt", metadata: [
            "snapshot.seq": "\(from - 1)", "journal.records_scanned": "\(scanned)", "dedupe.keys": "\(index.count)",
            "journal.undecodable": "\(undecodable)", "caseload.patients": "\(state.caseload.patients.count)",
            "caseload.open_cases": "\(state.caseload.openCasesOfCoordinator.values.reduce(0, +))", "outbox.depth": "\(state.outbox.depth)",
            "duration_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
        return InboundStore(journal: journal, duplicates: index, state: state, snapshotSequence: from - 1)
    }

    /// Writes a snapshot of `state` (caseload and outbox), which must reflect exactly the records up to
    /// `sequence`, with the duplicate index's keys up to `sequence`. Every append up to
    /// `sequence` must have completed (its duplicate key committed) before this is called.
    /// Returns the blob's size in bytes.
    @discardableResult
    public func storeSnapshot(of state: StoreState, through sequence: UInt64) async throws(JournalError) -> Int {
        let keys = duplicates.storedKeys(through: sequence)
        let blob = StoreSnapshotCodec.encode(StoreSnapshot(caseload: state.caseload, duplicates: keys, outbox: state.outbox))
        try await journal.storeSnapshot(blob, through: sequence)
        return blob.count
    }

    /// Appends `record`; `completion` runs on the journal thread once it is durable (or failed).
    public func append(_ record: InboundRecord, completion: @escaping JournalAppendCompletion) {
        journal.append(InboundRecordCodec.encode(record), completion: completion)
    }
}
