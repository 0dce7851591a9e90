// What a coordinator does to the caseload directly (not through a hospital message): today,
// completing a task. Journaled like a message, so replay reproduces it.

/// A coordinator's action on the caseload.
public struct CoordinatorAction: Sendable, Hashable {
    public enum Kind: UInt8, Sendable, Hashable {
        /// The task was done (a post-discharge call made, an assessment held, ...).
        case completeTask = 1
    }

    public var kind: Kind
    /// The task acted on.
    public var taskID: String
    /// Who did it: a coordinator id (or another name the care team uses).
    public var actor: String
    /// Free text: what was done. Kept in the audit trail.
    public var note: String
    /// When it was done (seconds since the epoch); the report compares it with the due time.
    public var at: Int64

    public init(kind: Kind, taskID: String, actor: String, note: String = "", at: Int64) {
        self.kind = kind
        self.taskID = taskID
        self.actor = actor
        self.note = note
        self.at = at
    }
}

/// Why an action cannot be taken.
public enum CoordinatorActionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No task has this id.
    case unknownTask(String)
    /// The task is no longer open (satisfied or cancelled).
    case notOpen(String, CareTask.Status)
    /// The actor is empty.
    case missingActor

    public var description: String {
        switch self {
        case .unknownTask(let id): "no task \(id)"
        case .notOpen(let id, let status): "task \(id) is \(status), not open"
        case .missingActor: "who completed the task is required (by)"
        }
    }
}

extension CaseloadDecider {
    /// The decision for a coordinator's action in `state`.
    public func decide(_ action: CoordinatorAction, in state: CaseloadState) throws(CoordinatorActionError) -> CaseloadDecision {
        guard !action.actor.isEmpty else { throw .missingActor }
        guard let task = state.tasks[action.taskID] else { throw .unknownTask(action.taskID) }
        guard task.status == .open else { throw .notOpen(task.id, task.status) }
        var draft = Draft(state: state, rules: rules, at: action.at)
        switch action.kind {
        case .completeTask:
            let why = action.note.isEmpty ? "completed by \(action.actor)" : "completed by \(action.actor): \(action.note)"
            draft.resolve(task, .satisfied, why)
        }
        return draft.decision(patientID: task.patientID)
    }
}
