// What a message did to the caseload. Events are the new values of the entities a decision
// changed (upserts): applying them needs no rules, so replaying the journal after an upgrade
// rebuilds exactly the state that was acknowledged, whatever the rules say today.

/// One change to the caseload: the entity as it is after the change.
public enum CaseloadEvent: Hashable, Sendable {
    case patient(Patient)
    case encounter(Encounter)
    case careCase(CareCase)
    case task(CareTask)
    case appointment(Appointment)
    case referral(Referral)
}

/// A decision about one message: the events, the patient they concern and what changed, in
/// words for the audit trail.
public struct CaseloadDecision: Hashable, Sendable {
    public var events: [CaseloadEvent]
    public var patientID: String
    public var changes: [String]
    /// When the change took effect (the message's event time), seconds since the epoch.
    public var at: Int64

    public init(events: [CaseloadEvent], patientID: String, changes: [String], at: Int64) {
        self.events = events
        self.patientID = patientID
        self.changes = changes
        self.at = at
    }
}
