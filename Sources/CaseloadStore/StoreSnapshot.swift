// What a journal snapshot holds for the inbound store: the caseload (entities, audit trail,
// indexes) and the duplicate index, as of one journal sequence. Layout of the blob:
//
//   u64 magic "SBSTORE1", u32 format version (2), then sections until the end:
//   u8 tag, u64 length, bytes.
//
// Format 2 added the outbox section (18); format 1 snapshots are read with an empty outbox.
//
// One section per table, so that they decode in parallel (start-up time is the reason
// snapshots exist). Every section of ``StoreSnapshotCodec/Section`` must be present once; a
// section this build does not know is refused (the snapshot comes from a newer version): the
// store then starts from a full replay instead, which every version can do.
public import Caseload
import Dispatch
public import Outbox
import Synchronization

/// The inbound store's state at a journal sequence.
public struct StoreSnapshot: Sendable {
    /// The caseload after every record up to the snapshot's sequence.
    public var caseload: CaseloadState
    /// The duplicate index's stored keys of records up to the snapshot's sequence, oldest first.
    public var duplicates: [DuplicateIndex.StoredKey]
    /// The outbox after the same records.
    public var outbox: OutboxState

    public init(caseload: CaseloadState, duplicates: [DuplicateIndex.StoredKey], outbox: OutboxState = OutboxState()) {
        self.caseload = caseload
        self.duplicates = duplicates
        self.outbox = outbox
    }
}

/// Encodes and decodes ``StoreSnapshot`` blobs.
public enum StoreSnapshotCodec {
    static let magic: UInt64 = 0x3145_524F_5453_4253  // "SBSTORE1" little-endian
    static let version: UInt32 = 2
    /// Formats this build reads.
    static let readableVersions: ClosedRange<UInt32> = 1...2

    enum Section: UInt8, CaseIterable {
        case counters = 1, duplicates = 2
        case patients = 3, encounters = 4, cases = 5, tasks = 6, appointments = 7, referrals = 8
        case audit = 9, patientByIdentifier = 10, patientByBareValue = 11
        case encountersOfPatient = 12, casesOfPatient = 13, tasksOfPatient = 14, appointmentsOfPatient = 15,
            referralsOfPatient = 16
        case openCasesOfCoordinator = 17
        case outbox = 18

        /// Sections every snapshot of a format has.
        static func required(inFormat format: UInt32) -> [Section] {
            format >= 2 ? allCases : allCases.filter { $0 != .outbox }
        }
    }

    // MARK: Encoding

    public static func encode(_ snapshot: StoreSnapshot) -> [UInt8] {
        let image = snapshot.caseload.image
        let duplicates = snapshot.duplicates
        let outbox = snapshot.outbox
        // Sections are encoded in parallel into their own buffers, then joined in tag order.
        let sections = Section.allCases
        let buffers = Mutex<[Section: [UInt8]]>([:])
        DispatchQueue.concurrentPerform(iterations: sections.count) { index in
            let tag = sections[index]
            var w = PayloadWriter(capacity: estimatedSize(of: tag, image, duplicates))
            encodeSection(tag, image, duplicates, outbox, into: &w)
            let bytes = w.output
            buffers.withLock { $0[tag] = bytes }
        }
        let encoded = buffers.withLock { buffers in
            defer { buffers = [:] }
            return buffers
        }
        var w = PayloadWriter(capacity: encoded.values.reduce(12) { $0 + $1.count + 9 })
        w.u64(magic)
        w.u32(version)
        for tag in sections {
            let body = encoded[tag] ?? []
            w.u8(tag.rawValue)
            w.u64(UInt64(body.count))
            w.raw(body)
        }
        return w.output
    }

    private static func estimatedSize(of tag: Section, _ image: CaseloadState.Image, _ duplicates: [DuplicateIndex.StoredKey]) -> Int {
        switch tag {
        case .duplicates: 64 + duplicates.count * 192
        case .audit: 64 + image.audit.count * 192
        case .patients, .patientByIdentifier, .patientByBareValue, .encountersOfPatient, .casesOfPatient, .tasksOfPatient,
             .appointmentsOfPatient, .referralsOfPatient: 64 + image.patients.count * 96
        case .encounters, .cases, .tasks: 64 + image.patients.count * 128
        default: 4096
        }
    }

    private static func encodeSection(
        _ tag: Section, _ image: CaseloadState.Image, _ duplicates: [DuplicateIndex.StoredKey], _ outbox: OutboxState,
        into w: inout PayloadWriter
    ) {
        switch tag {
        case .outbox: OutboxRecordCodec.encode(outbox, into: &w)
        case .counters:
            w.i64(Int64(image.nextCaseNumber))
            w.i64(Int64(image.nextTaskNumber))
            w.i64(Int64(image.eventCount))
        case .duplicates:
            w.u32(UInt32(duplicates.count))
            for stored in duplicates {
                w.string(stored.key.sendingApplication)
                w.string(stored.key.sendingFacility)
                w.string(stored.key.controlID)
                w.u64(stored.hash)
                w.bytes(stored.ack)
                w.u64(stored.sequence)
                w.i64(stored.receivedAtMicroseconds)
            }
        case .patients:
            w.u32(UInt32(image.patients.count))
            for value in image.patients.values { CaseloadEventCodec.encode(.patient(value), into: &w) }
        case .encounters:
            w.u32(UInt32(image.encounters.count))
            for value in image.encounters.values { CaseloadEventCodec.encode(.encounter(value), into: &w) }
        case .cases:
            w.u32(UInt32(image.cases.count))
            for value in image.cases.values { CaseloadEventCodec.encode(.careCase(value), into: &w) }
        case .tasks:
            w.u32(UInt32(image.tasks.count))
            for value in image.tasks.values { CaseloadEventCodec.encode(.task(value), into: &w) }
        case .appointments:
            w.u32(UInt32(image.appointments.count))
            for value in image.appointments.values { CaseloadEventCodec.encode(.appointment(value), into: &w) }
        case .referrals:
            w.u32(UInt32(image.referrals.count))
            for value in image.referrals.values { CaseloadEventCodec.encode(.referral(value), into: &w) }
        case .audit:
            w.u32(UInt32(image.audit.count))
            for entry in image.audit { encode(entry, into: &w) }
        case .patientByIdentifier: encode(image.patientByIdentifier, into: &w)
        case .patientByBareValue: encode(image.patientByBareValue, into: &w)
        case .encountersOfPatient: encode(image.encountersOfPatient, into: &w)
        case .casesOfPatient: encode(image.casesOfPatient, into: &w)
        case .tasksOfPatient: encode(image.tasksOfPatient, into: &w)
        case .appointmentsOfPatient: encode(image.appointmentsOfPatient, into: &w)
        case .referralsOfPatient: encode(image.referralsOfPatient, into: &w)
        case .openCasesOfCoordinator:
            w.u32(UInt32(image.openCasesOfCoordinator.count))
            for (coordinator, count) in image.openCasesOfCoordinator {
                w.string(coordinator)
                w.i64(Int64(count))
            }
        }
    }

    private static func encode(_ map: ShardedTable<String>, into w: inout PayloadWriter) {
        w.u32(UInt32(map.count))
        for (key, value) in map {
            w.string(key)
            w.string(value)
        }
    }

    private static func encode(_ lists: ShardedTable<[String]>, into w: inout PayloadWriter) {
        w.u32(UInt32(lists.count))
        for (key, ids) in lists {
            w.string(key)
            w.strings(ids)
        }
    }

    static func encode(_ entry: AuditEntry, into w: inout PayloadWriter) {
        w.u64(entry.sequence)
        w.string(entry.controlID)
        w.string(entry.messageType)
        w.i64(entry.at)
        w.string(entry.patientID)
        w.strings(entry.changes)
    }

    // MARK: Decoding

    /// Whether the blob's header names a format this build reads (a cheap check; the sections
    /// may still be damaged).
    public static func isReadable(_ blob: [UInt8]) -> Bool {
        var r = PayloadReader(blob)
        return (try? r.u64()) == magic && (try? r.u32()).map(readableVersions.contains) == true
    }

    public static func decode(_ blob: [UInt8]) throws(RecordDecodingError) -> StoreSnapshot {
        try decode(blob, loadingDuplicatesInto: nil, receivedSince: 0)
    }

    /// Decodes a snapshot; with `index`, its duplicate keys received at or after `cutoff` go
    /// straight into the index while the caseload decodes on the other threads (the returned
    /// snapshot's `duplicates` is then empty).
    public static func decode(
        _ blob: [UInt8], loadingDuplicatesInto index: DuplicateIndex?, receivedSince cutoff: Int64
    ) throws(RecordDecodingError) -> StoreSnapshot {
        let sections = try locateSections(blob)
        // Largest first, so the threads finish together.
        let order = sections.sorted { $0.range.count > $1.range.count }
        let results = Mutex<[Section: Result<Decoded, RecordDecodingError>]>([:])
        DispatchQueue.concurrentPerform(iterations: order.count) { position in
            let (tag, range) = order[position]
            var reader = PayloadReader(blob, range: range)
            let result = Result { () throws(RecordDecodingError) -> Decoded in
                var decoded = try decodeSection(tag, from: &reader)
                if let index, case .duplicates(let keys) = decoded {
                    index.load(keys, receivedSince: cutoff)
                    decoded = .duplicates([])
                }
                guard reader.remaining == 0 else {
                    throw RecordDecodingError(offset: reader.offset, message: "section \(tag) has \(reader.remaining) bytes left over")
                }
                return decoded
            }
            results.withLock { $0[tag] = result }
        }
        var image = CaseloadState.Image()
        var duplicates: [DuplicateIndex.StoredKey] = []
        var outbox = OutboxState()
        var decoded = results.withLock { results in
            defer { results = [:] }
            return results
        }
        for (tag, _) in sections {
            guard let result = decoded.removeValue(forKey: tag) else { continue }
            switch try result.get() {
            case .counters(let cases, let tasks, let events):
                image.nextCaseNumber = cases
                image.nextTaskNumber = tasks
                image.eventCount = events
            case .duplicates(let keys): duplicates = keys
            case .patients(let table): image.patients = table
            case .encounters(let table): image.encounters = table
            case .cases(let table): image.cases = table
            case .tasks(let table): image.tasks = table
            case .appointments(let table): image.appointments = table
            case .referrals(let table): image.referrals = table
            case .audit(let entries): image.audit = entries
            case .map(let map):
                if tag == .patientByIdentifier { image.patientByIdentifier = map } else { image.patientByBareValue = map }
            case .lists(let lists):
                switch tag {
                case .encountersOfPatient: image.encountersOfPatient = lists
                case .casesOfPatient: image.casesOfPatient = lists
                case .tasksOfPatient: image.tasksOfPatient = lists
                case .appointmentsOfPatient: image.appointmentsOfPatient = lists
                default: image.referralsOfPatient = lists
                }
            case .counts(let counts): image.openCasesOfCoordinator = counts
            case .outbox(let state): outbox = state
            }
        }
        return StoreSnapshot(caseload: CaseloadState(image: image), duplicates: duplicates, outbox: outbox)
    }

    /// The header, then every section's tag and byte range; each known section exactly once.
    private static func locateSections(_ blob: [UInt8]) throws(RecordDecodingError) -> [(tag: Section, range: Range<Int>)] {
        var r = PayloadReader(blob)
        guard try r.u64() == magic else { throw RecordDecodingError(offset: 0, message: "not a store snapshot (bad magic)") }
        let found = try r.u32()
        guard readableVersions.contains(found) else {
            throw RecordDecodingError(offset: 8, message: "store snapshot format \(found); this build reads formats \(readableVersions)")
        }
        var sections: [(tag: Section, range: Range<Int>)] = []
        while r.remaining > 0 {
            let tagOffset = r.offset
            let raw = try r.u8()
            let length = try r.u64()
            guard length <= UInt64(r.remaining) else {
                throw RecordDecodingError(offset: tagOffset, message: "section of \(length) bytes runs past the end")
            }
            guard let tag = Section(rawValue: raw) else {
                throw RecordDecodingError(offset: tagOffset, message: "unknown snapshot section \(raw) (written by a newer version?)")
            }
            guard !sections.contains(where: { $0.tag == tag }) else {
                throw RecordDecodingError(offset: tagOffset, message: "section \(tag) appears twice")
            }
            sections.append((tag, r.offset..<r.offset + Int(length)))
            r.skip(Int(length))
        }
        for tag in Section.required(inFormat: found) where !sections.contains(where: { $0.tag == tag }) {
            throw RecordDecodingError(offset: r.offset, message: "the snapshot has no \(tag) section")
        }
        return sections
    }

    /// What one section decodes to.
    private enum Decoded: Sendable {
        case counters(Int, Int, Int)
        case duplicates([DuplicateIndex.StoredKey])
        case patients(ShardedTable<Patient>)
        case encounters(ShardedTable<Encounter>)
        case cases(ShardedTable<CareCase>)
        case tasks(ShardedTable<CareTask>)
        case appointments(ShardedTable<Appointment>)
        case referrals(ShardedTable<Referral>)
        case audit(AuditTrail)
        case map(ShardedTable<String>)
        case lists(ShardedTable<[String]>)
        case counts([String: Int])
        case outbox(OutboxState)
    }

    /// Tables are sized for half as many entries again as they hold: the tail replayed after
    /// the snapshot then grows them without rehashing (measured: a rehash of every shard
    /// during the tail doubled the start-up time).
    private static func decodeSection(_ tag: Section, from r: inout PayloadReader) throws(RecordDecodingError) -> Decoded {
        switch tag {
        case .counters: return .counters(Int(try r.i64()), Int(try r.i64()), Int(try r.i64()))
        case .outbox: return .outbox(try OutboxRecordCodec.decodeState(from: &r))
        case .duplicates:
            let count = try r.count()
            var keys: [DuplicateIndex.StoredKey] = []
            keys.reserveCapacity(count)
            for _ in 0..<count {
                let key = DuplicateKey(sendingApplication: try r.string(), sendingFacility: try r.string(), controlID: try r.string())
                keys.append(DuplicateIndex.StoredKey(
                    key: key, hash: try r.u64(), ack: try r.bytes(), sequence: try r.u64(), receivedAtMicroseconds: try r.i64()))
            }
            return .duplicates(keys)
        case .patients, .encounters, .cases, .tasks, .appointments, .referrals: return try decodeTable(tag, from: &r)
        case .audit:
            let count = try r.count()
            var entries = AuditTrail()
            entries.reserveCapacity(count)
            for _ in 0..<count {
                entries.append(AuditEntry(sequence: try r.u64(), controlID: try r.string(), messageType: try r.string(), at: try r.i64(),
                                          patientID: try r.string(), changes: try r.strings()))
            }
            return .audit(entries)
        case .patientByIdentifier, .patientByBareValue:
            let count = try r.count()
            var map = ShardedTable<String>()
            map.reserveCapacity(count + count / 2)
            for _ in 0..<count { map[try r.string()] = try r.string() }
            return .map(map)
        case .encountersOfPatient, .casesOfPatient, .tasksOfPatient, .appointmentsOfPatient, .referralsOfPatient:
            let count = try r.count()
            var lists = ShardedTable<[String]>()
            lists.reserveCapacity(count + count / 2)
            for _ in 0..<count { lists[try r.string()] = try r.strings() }
            return .lists(lists)
        case .openCasesOfCoordinator:
            let count = try r.count()
            var counts: [String: Int] = [:]
            for _ in 0..<count { counts[try r.string()] = Int(try r.i64()) }
            return .counts(counts)
        }
    }

    /// One entity table. Written out per kind (not generic): a generic helper here pays a
    /// metadata lookup per entity.
    private static func decodeTable(_ tag: Section, from r: inout PayloadReader) throws(RecordDecodingError) -> Decoded {
        let count = try r.count()
        func mismatch(_ offset: Int) -> RecordDecodingError {
            RecordDecodingError(offset: offset, message: "an entity of another kind in the \(tag) section")
        }
        switch tag {
        case .patients:
            var table = ShardedTable<Patient>()
            table.reserveCapacity(count + count / 2)
            for _ in 0..<count {
                let offset = r.offset
                guard case .patient(let value) = try CaseloadEventCodec.decodeEvent(from: &r) else { throw mismatch(offset) }
                table[value.id] = value
            }
            return .patients(table)
        case .encounters:
            var table = ShardedTable<Encounter>()
            table.reserveCapacity(count + count / 2)
            for _ in 0..<count {
                let offset = r.offset
                guard case .encounter(let value) = try CaseloadEventCodec.decodeEvent(from: &r) else { throw mismatch(offset) }
                table[value.id] = value
            }
            return .encounters(table)
        case .cases:
            var table = ShardedTable<CareCase>()
            table.reserveCapacity(count + count / 2)
            for _ in 0..<count {
                let offset = r.offset
                guard case .careCase(let value) = try CaseloadEventCodec.decodeEvent(from: &r) else { throw mismatch(offset) }
                table[value.id] = value
            }
            return .cases(table)
        case .tasks:
            var table = ShardedTable<CareTask>()
            table.reserveCapacity(count + count / 2)
            for _ in 0..<count {
                let offset = r.offset
                guard case .task(let value) = try CaseloadEventCodec.decodeEvent(from: &r) else { throw mismatch(offset) }
                table[value.id] = value
            }
            return .tasks(table)
        case .appointments:
            var table = ShardedTable<Appointment>()
            table.reserveCapacity(count + count / 2)
            for _ in 0..<count {
                let offset = r.offset
                guard case .appointment(let value) = try CaseloadEventCodec.decodeEvent(from: &r) else { throw mismatch(offset) }
                table[value.id] = value
            }
            return .appointments(table)
        default:
            var table = ShardedTable<Referral>()
            table.reserveCapacity(count + count / 2)
            for _ in 0..<count {
                let offset = r.offset
                guard case .referral(let value) = try CaseloadEventCodec.decodeEvent(from: &r) else { throw mismatch(offset) }
                table[value.id] = value
            }
            return .referrals(table)
        }
    }
}

extension PayloadReader {
    /// A list length, checked against what is left (each item takes at least one byte).
    mutating func count() throws(RecordDecodingError) -> Int {
        let count = Int(try u32())
        guard count <= remaining else { throw RecordDecodingError(offset: offset - 4, message: "count \(count) exceeds the payload") }
        return count
    }
}
