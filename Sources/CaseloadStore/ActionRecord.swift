// A coordinator's action as a journal record (kind 0x41 'A'), written before the action is
// confirmed, with the events it produced, like an inbound message and its decision. Layout,
// version 1 (little endian; str = u32 length + UTF-8):
//
//   u8 kind = 0x41   u8 version = 1   i64 recorded_at_us   str peer (who asked, over HTTP)
//   u8 action kind   str task_id   str actor   str note   i64 at
//   the caseload decision (CaseloadEventCodec: u8 present, events, patient, at, changes)
public import Caseload

/// A journaled coordinator action.
public struct ActionRecord: Sendable, Equatable {
    public var recordedAtMicroseconds: Int64
    /// The HTTP client that asked (`address:port`).
    public var peer: String
    public var action: CoordinatorAction
    public var decision: CaseloadDecision

    public init(recordedAtMicroseconds: Int64, peer: String, action: CoordinatorAction, decision: CaseloadDecision) {
        self.recordedAtMicroseconds = recordedAtMicroseconds
        self.peer = peer
        self.action = action
        self.decision = decision
    }

    /// How the audit trail names the action where a message would show its type.
    public var auditType: String {
        switch action.kind {
        case .completeTask: "ACTION^COMPLETE-TASK"
        }
    }
}

/// Encodes and decodes ``ActionRecord`` journal payloads.
public enum ActionRecordCodec {
    public static let currentVersion: UInt8 = 1

    public static func encode(_ record: ActionRecord) -> [UInt8] {
        var w = PayloadWriter(capacity: 256)
        w.u8(RecordKind.action.rawValue)
        w.u8(currentVersion)
        w.i64(record.recordedAtMicroseconds)
        w.string(record.peer)
        w.u8(record.action.kind.rawValue)
        w.string(record.action.taskID)
        w.string(record.action.actor)
        w.string(record.action.note)
        w.i64(record.action.at)
        CaseloadEventCodec.encode(record.decision, into: &w)
        return w.output
    }

    public static func decode(_ payload: [UInt8]) throws(RecordDecodingError) -> ActionRecord {
        var r = PayloadReader(payload)
        try r.header(.action, named: "action", version: currentVersion)
        let recordedAt = try r.i64()
        let peer = try r.string()
        let kindOffset = r.offset
        guard let actionKind = CoordinatorAction.Kind(rawValue: try r.u8()) else {
            throw RecordDecodingError(offset: kindOffset, message: "unknown action kind")
        }
        let action = CoordinatorAction(kind: actionKind, taskID: try r.string(), actor: try r.string(), note: try r.string(), at: try r.i64())
        guard let decision = try CaseloadEventCodec.decodeDecision(from: &r) else {
            throw RecordDecodingError(offset: r.offset, message: "an action record without its decision")
        }
        return ActionRecord(recordedAtMicroseconds: recordedAt, peer: peer, action: action, decision: decision)
    }
}
