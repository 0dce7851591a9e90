// The journal-backed store of received frames, the duplicate index over it, and the caseload
// projected from it.
public import Caseload
public import Journal
public import Logging

/// Appends ``InboundRecord``s to the journal and keeps the ``DuplicateIndex`` in step with it.
///
/// At start-up ``open(journal:duplicates:logger:nowMicroseconds:)`` rebuilds the index from the
/// accepted records still inside the retention window, so a resend after a restart is still
/// recognised.
public final class InboundStore: Sendable {
    public let journal: any AppendOnlyJournal
    public let duplicates: DuplicateIndex
    /// The caseload as the journal held it when the store opened (the engine owns it after).
    public let initialCaseload: CaseloadState

    private init(journal: any AppendOnlyJournal, duplicates: DuplicateIndex, caseload: CaseloadState) {
        self.journal = journal
        self.duplicates = duplicates
        self.initialCaseload = caseload
    }

    /// Replays the whole journal into a fresh caseload (after a failed append left the live
    /// one ahead of the journal). Undecodable records were counted at open; they are skipped.
    public func replayCaseload() async throws(JournalError) -> CaseloadState {
        var state = CaseloadState()
        try await Self.forEachRecord(in: journal) { record in
            guard InboundRecordCodec.kind(of: record.payload) == .inbound,
                  let inbound = try? InboundRecordCodec.decode(record.payload) else { return }
            state.apply(inbound, sequence: record.sequence)
        }
        return state
    }

    /// Every record of the journal, in order, read in pages.
    private static func forEachRecord(
        in journal: any AppendOnlyJournal, _ body: (JournalRecord) -> Void
    ) async throws(JournalError) {
        var next: UInt64 = 0
        while true {
            let page = try await journal.records(from: next, limit: 16_384)
            guard let last = page.last else { return }
            for record in page { body(record) }
            next = last.sequence + 1
        }
    }

    /// Opens the store over an opened journal, replaying its records into the duplicate index.
    /// Payloads this build cannot decode are counted and logged, not fatal: the journal verified
    /// their checksums, so they come from another record kind or a newer version.
    public static func open(
        journal: any AppendOnlyJournal, duplicates configuration: DuplicateIndex.Configuration = .init(),
        logger: Logger, nowMicroseconds: Int64
    ) async throws(JournalError) -> InboundStore {
        let index = DuplicateIndex(configuration: configuration)
        let cutoff = nowMicroseconds - configuration.retentionSeconds * 1_000_000
        var scanned = 0
        var undecodable = 0
        var caseload = CaseloadState()
        try await forEachRecord(in: journal) { record in
            scanned += 1
            guard InboundRecordCodec.kind(of: record.payload) == .inbound else { return }
            do {
                let inbound = try InboundRecordCodec.decode(record.payload)
                caseload.apply(inbound, sequence: record.sequence)
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
        logger.info("duplicate index and caseload rebuilt", metadata: [
            "journal.records_scanned": "\(scanned)", "dedupe.keys": "\(index.count)",
            "journal.undecodable": "\(undecodable)", "caseload.patients": "\(caseload.patients.count)",
            "caseload.open_cases": "\(caseload.cases.values.filter { $0.status == .open }.count)",
        ])
        return InboundStore(journal: journal, duplicates: index, caseload: caseload)
    }

    /// Appends `record`; `completion` runs on the journal thread once it is durable (or failed).
    public func append(_ record: InboundRecord, completion: @escaping JournalAppendCompletion) {
        journal.append(InboundRecordCodec.encode(record), completion: completion)
    }
}
