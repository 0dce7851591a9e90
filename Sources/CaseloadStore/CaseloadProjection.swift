// The caseload as a projection of the journal: replay, and the canonical hash that shows two
// ways of building it (full replay, snapshot + tail, live) agree.
public import Caseload
public import Journal
public import Outbox

extension CaseloadState {
    /// Applies the caseload decision of a journal record (if any) and its audit entry.
    public mutating func apply(_ record: InboundRecord, sequence: UInt64) {
        guard record.disposition == .accepted, let decision = record.caseload else { return }
        apply(decision)
        recordAudit(AuditEntry(sequence: sequence, controlID: record.controlID, messageType: record.messageType,
                               at: decision.at, patientID: decision.patientID, changes: decision.changes))
    }

    /// Applies a coordinator's journaled action and its audit entry.
    public mutating func apply(_ record: ActionRecord, sequence: UInt64) {
        apply(record.decision)
        recordAudit(AuditEntry(sequence: sequence, controlID: "", messageType: record.auditType, at: record.decision.at,
                               patientID: record.decision.patientID, changes: record.decision.changes))
    }

    /// How a caseload was read from a journal directory.
    public struct Replay: Sendable {
        public var state: CaseloadState
        /// The outbox after the same records.
        public var outbox: OutboxState
        /// The snapshot it started from (0: none, every record replayed).
        public var snapshotSequence: UInt64
        /// Records read after the snapshot, and those this build could not decode (skipped).
        public var records: Int
        public var undecodable: Int
        /// Newer snapshots that were unusable (bad checksum, unknown format) and skipped.
        public var skippedSnapshots: [String]
        /// The last journal sequence the state reflects.
        public var lastSequence: UInt64
    }

    /// The caseload of a state directory's journal, read without the writer lock (works while
    /// a daemon appends: it sees a durable prefix): the newest usable snapshot and the records
    /// after it, or every record when `fromSnapshot` is false. Records this build cannot decode
    /// are skipped and counted.
    public static func replay(directory: String, fromSnapshot: Bool = true, through limit: UInt64 = .max) throws(JournalError) -> Replay {
        var store = StoreState()
        var snapshotSequence: UInt64 = 0
        var skipped: [String] = []
        if fromSnapshot {
            let (snapshot, invalid) = try JournalMaintenance.latestSnapshot(directory: directory)
            skipped = invalid.map { "\($0.file): \($0.reason)" }
            if let snapshot {
                do {
                    let decoded = try StoreSnapshotCodec.decode(snapshot.blob)
                    store = StoreState(caseload: decoded.caseload, outbox: decoded.outbox)
                    snapshotSequence = snapshot.sequence
                } catch {
                    skipped.append("snapshot at \(snapshot.sequence): \(error)")
                }
            }
        }
        var records = 0, undecodable = 0
        var expected = snapshotSequence + 1
        var gap: UInt64?
        var last = snapshotSequence
        let walk = try JournalMaintenance.dumpPayloads(directory: directory, from: expected) { _, record, payload in
            guard record.sequence <= limit else { return }
            if records == 0, record.sequence > expected { gap = record.sequence }
            last = record.sequence
            records += 1
            expected = record.sequence + 1
            if !store.apply(payload: Array(payload), sequence: record.sequence) { undecodable += 1 }
        }
        if let problem = walk.problem { throw problem }
        if let gap {
            throw JournalError(code: .corrupt, message: """
                the caseload needs records from \(snapshotSequence + 1) on, but the journal's first is \(gap) \
                (older segments were removed after a snapshot, so only a start from that snapshot can read it)
                """)
        }
        return Replay(state: store.caseload, outbox: store.outbox, snapshotSequence: snapshotSequence, records: records, undecodable: undecodable,
                      skippedSnapshots: skipped, lastSequence: last)
    }

    /// The outbox of a state directory's journal (snapshot + tail, read-only).
    /// What was in flight when the journal was read is shown pending, as a restart would see it.
    public static func replayOutbox(directory: String) throws(JournalError) -> OutboxState {
        var outbox = try replay(directory: directory).outbox
        outbox.resetInFlight()
        return outbox
    }

    /// A hash of every entity and audit entry in a canonical order (ids sorted), the same for
    /// the same caseload however it was built: 16 hex digits.
    public var canonicalHash: String {
        var hasher = CanonicalHasher()
        func add(_ events: [CaseloadEvent]) { hasher.add(CaseloadEventCodec.encode(events)) }
        add(patients.keys.sorted().map { .patient(patients[$0]!) })
        add(encounters.keys.sorted().map { .encounter(encounters[$0]!) })
        add(cases.keys.sorted().map { .careCase(cases[$0]!) })
        add(tasks.keys.sorted().map { .task(tasks[$0]!) })
        add(appointments.keys.sorted().map { .appointment(appointments[$0]!) })
        add(referrals.keys.sorted().map { .referral(referrals[$0]!) })
        for entry in audit {
            var writer = PayloadWriter(capacity: 128)
            StoreSnapshotCodec.encode(entry, into: &writer)
            hasher.add(writer.output)
        }
        let value = hasher.value
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// FNV-1a, 64 bits: stable across processes and builds (unlike `Hasher`).
struct CanonicalHasher {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: [UInt8]) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
        // Length as a separator, so ["ab","c"] and ["a","bc"] differ.
        for shift in stride(from: 0, to: 64, by: 8) {
            value ^= UInt64(truncatingIfNeeded: bytes.count >> shift) & 0xFF
            value &*= 0x0000_0100_0000_01B3
        }
    }
}

/// The caseload and the outbox: everything the journal's records project to.
public struct StoreState: Sendable {
    public var caseload: CaseloadState
    public var outbox: OutboxState

    public init(caseload: CaseloadState = CaseloadState(), outbox: OutboxState = OutboxState()) {
        self.caseload = caseload
        self.outbox = outbox
    }

    /// Applies any journal payload: an inbound message's decision and outbox entries, a
    /// coordinator's action, an outbox change. Returns false for a payload this build cannot
    /// decode (skipped by replays).
    @discardableResult
    public mutating func apply(payload: [UInt8], sequence: UInt64) -> Bool {
        switch InboundRecordCodec.kind(of: payload) {
        case .inbound:
            guard let record = try? InboundRecordCodec.decode(payload) else { return false }
            apply(record, sequence: sequence)
        case .action:
            guard let record = try? ActionRecordCodec.decode(payload) else { return false }
            caseload.apply(record, sequence: sequence)
        case .outbox:
            guard let record = try? OutboxRecordCodec.decode(payload) else { return false }
            outbox.apply(record.change, destination: record.destination)
        case nil: return false
        }
        return true
    }

    /// An inbound record: its caseload decision, and the outbox entries it made (accepted only).
    public mutating func apply(_ record: InboundRecord, sequence: UInt64) {
        caseload.apply(record, sequence: sequence)
        guard record.disposition == .accepted else { return }
        for entry in record.outbound { outbox.enqueue(entry) }
    }
}
