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
    /// Outbound referral messages the decision calls for, in order. Not stored with the events:
    /// the messages built from them are (the outbox entries of the same journal append).
    public var referralMessages: [ReferralMessageRequest]

    public init(events: [CaseloadEvent], patientID: String, changes: [String], at: Int64,
                referralMessages: [ReferralMessageRequest] = []) {
        self.events = events
        self.patientID = patientID
        self.changes = changes
        self.at = at
        self.referralMessages = referralMessages
    }
}

/// An outbound referral message a decision calls for (REF^I12 or REF^I14).
public struct ReferralMessageRequest: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A new referral to the partner (REF^I12).
        case newReferral
        /// The referral is withdrawn (REF^I14).
        case cancellation
    }

    public var kind: Kind
    /// The referral (its partner is the destination's configured name).
    public var referralID: String

    public init(_ kind: Kind, referralID: String) {
        self.kind = kind
        self.referralID = referralID
    }
}
