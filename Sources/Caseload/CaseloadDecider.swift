// Decides what a message does to the caseload: the rules applied to the current state.

/// A message the caseload cannot take, with the HL7 location to name in the ERR segment.
public struct CaseloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// HL7 table 0357 code (101 required field missing, 102 data type error, ...).
    public var code: Int
    /// `PV1`, `PID-3`, ...
    public var location: String
    public var message: String

    public init(code: Int, location: String, message: String) {
        self.code = code
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// Turns commands into decisions. Pure: the state is read, never changed; time comes from the
/// command (the message's event time), never from a clock.
public struct CaseloadDecider: Sendable {
    public let rules: CaseloadRules

    public init(rules: CaseloadRules) {
        self.rules = rules
    }

    /// The decision for `command` in `state`.
    public func decide(_ command: CaseloadCommand, in state: CaseloadState) throws(CaseloadError) -> CaseloadDecision {
        var draft = Draft(state: state, rules: rules, at: command.at)
        let patient = draft.upsertPatient(command.patient)
        switch command.action {
        case .admit(let kind):
            let visit = try requireVisit(command)
            draft.admit(patient: patient, visit: visit, kind: kind)
        case .transfer:
            draft.transfer(patient: patient, visit: try requireVisit(command))
        case .discharge:
            draft.discharge(patient: patient, visit: try requireVisit(command))
        case .changeClass:
            draft.changeClass(patient: patient, visit: try requireVisit(command))
        case .update:
            if let visit = command.visit { draft.updateVisit(patient: patient, visit: visit) }
        case .cancelAdmit:
            draft.cancelAdmit(patient: patient, visit: try requireVisit(command))
        case .cancelTransfer:
            draft.cancelTransfer(patient: patient, visit: try requireVisit(command))
        case .cancelDischarge:
            draft.cancelDischarge(patient: patient, visit: try requireVisit(command))
        case .merge(let prior):
            draft.merge(prior: prior, into: patient)
        case .appointment(let action, let facts):
            draft.appointment(action, facts, patient: patient)
        case .referral(let action, let facts, let partner):
            draft.referral(action, facts, partner: partner, patient: patient)
        case .referralResponse(let facts, let partner):
            draft.referralResponse(facts, partner: partner, patient: patient)
        }
        return draft.decision(patientID: patient)
    }

    /// The visit, or an empty one when the message has no PV1: the patient is still
    /// registered or updated, and the encounter is the patient's current one (or a new one
    /// without class or location, which opens no case). PV1 is required by the standard for
    /// these events, but refusing them would lose the demographics they carry.
    private func requireVisit(_ command: CaseloadCommand) throws(CaseloadError) -> VisitFacts {
        command.visit ?? VisitFacts()
    }
}
