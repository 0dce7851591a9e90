// Outbox entries inside inbound records, and the outbox's own journal records. Layout of an
// outbox record, version 1 (little endian; str and bytes as in RecordCodec.swift):
//
//   u8 kind = 0x4F ('O')   u8 version = 1   i64 recorded_at_us   str destination   str actor
//   u8 change, then its fields:
//     1 attempted       str id, u32 attempt, i64 at_ms
//     2 delivered       str id, i64 at_ms, str outcome
//     3 retryScheduled  str id, i64 not_before_ms, str outcome
//     4 deadLettered    str id, i64 at_ms, str outcome
//     5 retried         str id, i64 at_ms
//     6 dropped         str id, i64 at_ms
//     7 enqueued        a new entry (as in an inbound record)
//
// A new entry: str id, destination, control_id, subject, i64 created_at_ms, bytes payload.
// An entry with its state (snapshots) adds: u8 status, u32 attempts, i64 not_before_ms,
// str last_outcome.
import DequeModule
public import Outbox

/// One change to the outbox, as journaled: delivery progress (actor empty) or an operator's
/// retry or drop (actor: who asked).
public struct OutboxRecord: Sendable, Equatable {
    public var recordedAtMicroseconds: Int64
    public var destination: String
    public var change: OutboxChange
    /// The operator who asked (`retry`, `drop`); empty for the dispatcher.
    public var actor: String

    public init(recordedAtMicroseconds: Int64, destination: String, change: OutboxChange, actor: String = "") {
        self.recordedAtMicroseconds = recordedAtMicroseconds
        self.destination = destination
        self.change = change
        self.actor = actor
    }
}

/// Encodes and decodes ``OutboxRecord`` payloads and the outbox entries of inbound records.
public enum OutboxRecordCodec {
    public static let currentVersion: UInt8 = 1

    public static func encode(_ record: OutboxRecord) -> [UInt8] {
        var w = PayloadWriter(capacity: 96)
        w.u8(RecordKind.outbox.rawValue)
        w.u8(currentVersion)
        w.i64(record.recordedAtMicroseconds)
        w.string(record.destination)
        w.string(record.actor)
        switch record.change {
        case .attempted(let id, let attempt, let at):
            w.u8(1)
            w.string(id)
            w.u32(UInt32(clamping: max(attempt, 0)))
            w.i64(at)
        case .delivered(let id, let at, let outcome): tagged(2, id, at, outcome, into: &w)
        case .retryScheduled(let id, let notBefore, let outcome): tagged(3, id, notBefore, outcome, into: &w)
        case .deadLettered(let id, let at, let outcome): tagged(4, id, at, outcome, into: &w)
        case .retried(let id, let at):
            w.u8(5)
            w.string(id)
            w.i64(at)
        case .dropped(let id, let at):
            w.u8(6)
            w.string(id)
            w.i64(at)
        case .enqueued(let entry):
            w.u8(7)
            encodeNew(entry, into: &w)
        }
        return w.output
    }

    private static func tagged(_ tag: UInt8, _ id: String, _ time: Int64, _ outcome: String, into w: inout PayloadWriter) {
        w.u8(tag)
        w.string(id)
        w.i64(time)
        w.string(outcome)
    }

    public static func decode(_ payload: [UInt8]) throws(RecordDecodingError) -> OutboxRecord {
        var r = PayloadReader(payload)
        try r.header(.outbox, named: "outbox", version: currentVersion)
        let recordedAt = try r.i64()
        let destination = try r.string()
        let actor = try r.string()
        let tagOffset = r.offset
        let change: OutboxChange
        switch try r.u8() {
        case 1: change = .attempted(id: try r.string(), attempt: Int(try r.u32()), at: try r.i64())
        case 2: change = .delivered(id: try r.string(), at: try r.i64(), outcome: try r.string())
        case 3: change = .retryScheduled(id: try r.string(), notBefore: try r.i64(), outcome: try r.string())
        case 4: change = .deadLettered(id: try r.string(), at: try r.i64(), outcome: try r.string())
        case 5: change = .retried(id: try r.string(), at: try r.i64())
        case 6: change = .dropped(id: try r.string(), at: try r.i64())
        case 7: change = .enqueued(try decodeNew(from: &r))
        default: throw RecordDecodingError(offset: tagOffset, message: "unknown outbox change")
        }
        return OutboxRecord(recordedAtMicroseconds: recordedAt, destination: destination, change: change, actor: actor)
    }

    // MARK: Entries

    /// The new entries of an inbound record (count first).
    static func encode(_ entries: [OutboxEntry], into w: inout PayloadWriter) {
        w.u32(UInt32(entries.count))
        for entry in entries { encodeNew(entry, into: &w) }
    }

    static func decodeEntries(from r: inout PayloadReader) throws(RecordDecodingError) -> [OutboxEntry] {
        let count = Int(try r.u32())
        guard count <= r.remaining else { throw RecordDecodingError(offset: r.offset, message: "outbox entry count \(count) exceeds the payload") }
        var entries: [OutboxEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count { entries.append(try decodeNew(from: &r)) }
        return entries
    }

    static func encodeNew(_ entry: OutboxEntry, into w: inout PayloadWriter) {
        w.string(entry.id)
        w.string(entry.destination)
        w.string(entry.controlID)
        w.string(entry.subject)
        w.i64(entry.createdAt)
        w.bytes(entry.payload)
    }

    static func decodeNew(from r: inout PayloadReader) throws(RecordDecodingError) -> OutboxEntry {
        let id = try r.string()
        let destination = try r.string()
        let controlID = try r.string()
        let subject = try r.string()
        let createdAt = try r.i64()
        let payload = try r.bytes()
        return OutboxEntry(id: id, destination: destination, controlID: controlID, payload: payload, subject: subject, createdAt: createdAt)
    }

    /// An entry with its delivery state (snapshots).
    static func encodeWithState(_ entry: OutboxEntry, into w: inout PayloadWriter) {
        encodeNew(entry, into: &w)
        w.u8(entry.status.rawValue)
        w.u32(UInt32(clamping: max(entry.attempts, 0)))
        w.i64(entry.notBefore)
        w.string(entry.lastOutcome)
    }

    static func decodeWithState(from r: inout PayloadReader) throws(RecordDecodingError) -> OutboxEntry {
        var entry = try decodeNew(from: &r)
        entry.status = try r.enumeration(OutboxEntry.Status.self)
        entry.attempts = Int(try r.u32())
        entry.notBefore = try r.i64()
        entry.lastOutcome = try r.string()
        return entry
    }

    /// The whole outbox (a snapshot section): next number, then per destination its open and
    /// recently finished entries.
    static func encode(_ state: OutboxState, into w: inout PayloadWriter) {
        w.i64(Int64(state.nextNumber))
        let destinations = state.destinations
        w.u32(UInt32(destinations.count))
        for name in destinations {
            guard let queue = state.queues[name] else { continue }
            w.string(name)
            w.u32(UInt32(queue.open.count))
            for entry in queue.open { encodeWithState(entry, into: &w) }
            w.u32(UInt32(queue.recent.count))
            for entry in queue.recent { encodeWithState(entry, into: &w) }
        }
    }

    static func decodeState(from r: inout PayloadReader) throws(RecordDecodingError) -> OutboxState {
        let nextNumber = Int(try r.i64())
        let count = Int(try r.u32())
        guard count <= r.remaining else { throw RecordDecodingError(offset: r.offset, message: "destination count \(count) exceeds the section") }
        var queues: [DestinationQueue] = []
        for _ in 0..<count {
            let name = try r.string()
            var open: [OutboxEntry] = []
            for _ in 0..<Int(try r.u32()) { open.append(try decodeWithState(from: &r)) }
            var recent: [OutboxEntry] = []
            for _ in 0..<Int(try r.u32()) { recent.append(try decodeWithState(from: &r)) }
            queues.append(DestinationQueue(destination: name, open: open, recent: recent))
        }
        return OutboxState(queues: queues, nextNumber: nextNumber)
    }
}
