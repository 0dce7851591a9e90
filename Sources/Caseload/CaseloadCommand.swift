// What a message asks of the caseload, in domain terms (the mapping from HL7 builds these).

/// The patient as a message describes them (PID, NK1).
public struct PatientFacts: Sendable, Hashable {
    public var identifiers: [PatientIdentifier]
    public var familyName = ""
    public var givenName = ""
    public var birthDate = ""
    public var sex = ""
    public var phone = ""
    public var contacts: [String] = []

    public init(identifiers: [PatientIdentifier], familyName: String = "", givenName: String = "", birthDate: String = "",
                sex: String = "", phone: String = "", contacts: [String] = []) {
        self.identifiers = identifiers
        self.familyName = familyName
        self.givenName = givenName
        self.birthDate = birthDate
        self.sex = sex
        self.phone = phone
        self.contacts = contacts
    }
}

/// The visit as a message describes it (PV1).
public struct VisitFacts: Sendable, Hashable {
    /// PV1-19, empty when not sent.
    public var visitNumber = ""
    public var patientClass = ""
    public var location = ""
    public var attending = ""
    public var admittedAt: Int64?
    public var dischargedAt: Int64?
    public var dischargeDisposition = ""

    public init(visitNumber: String = "", patientClass: String = "", location: String = "", attending: String = "",
                admittedAt: Int64? = nil, dischargedAt: Int64? = nil, dischargeDisposition: String = "") {
        self.visitNumber = visitNumber
        self.patientClass = patientClass
        self.location = location
        self.attending = attending
        self.admittedAt = admittedAt
        self.dischargedAt = dischargedAt
        self.dischargeDisposition = dischargeDisposition
    }
}

/// An appointment as SIU describes it (SCH, AIS, AIL, AIP/AIG).
public struct AppointmentFacts: Sendable, Hashable {
    public var id: String
    public var startsAt: Int64?
    public var durationMinutes = 0
    public var reason = ""
    public var location = ""
    public var provider = ""

    public init(id: String, startsAt: Int64? = nil, durationMinutes: Int = 0, reason: String = "", location: String = "",
                provider: String = "") {
        self.id = id
        self.startsAt = startsAt
        self.durationMinutes = durationMinutes
        self.reason = reason
        self.location = location
        self.provider = provider
    }
}

/// A referral as REF/RRI describe it (RF1).
public struct ReferralFacts: Sendable, Hashable {
    public var id: String
    /// RF1-1 (table 0283: A accepted, P pending, R rejected, E expired).
    public var statusCode = ""
    public var priority = ""
    public var type = ""
    public var reason = ""
    /// RF1-11 (external referral identifier): the partner's own reference.
    public var externalID = ""

    public init(id: String, statusCode: String = "", priority: String = "", type: String = "", reason: String = "",
                externalID: String = "") {
        self.id = id
        self.statusCode = statusCode
        self.priority = priority
        self.type = type
        self.reason = reason
        self.externalID = externalID
    }
}

/// One message's request, with the time it takes effect.
public struct CaseloadCommand: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// A01 admit, A04 register, A05 pre-admit.
        case admit(AdmitKind)
        /// A02.
        case transfer
        /// A03.
        case discharge
        /// A06 (outpatient → inpatient), A07 (inpatient → outpatient).
        case changeClass
        /// A08, A28, A31: demographics (and visit data when PV1 is present).
        case update
        /// A11, A12, A13.
        case cancelAdmit, cancelTransfer, cancelDischarge
        /// A40: the patient in PID absorbs the patients named by MRG-1.
        case merge(prior: [PatientIdentifier])
        /// S12 new, S13 reschedule, S14 modify, S15 cancel, S17 delete, S26 no-show.
        case appointment(AppointmentAction, AppointmentFacts)
        /// REF I12 new, I13 modify, I14 cancel (a partner referring a patient to us).
        case referral(ReferralAction, ReferralFacts, partner: String)
        /// RRI I12: a partner's answer to one of our referrals.
        case referralResponse(ReferralFacts, partner: String)
    }

    public enum AdmitKind: Sendable, Hashable { case admit, register, preadmit }
    public enum AppointmentAction: Sendable, Hashable { case book, reschedule, modify, cancel, delete, noShow }
    public enum ReferralAction: Sendable, Hashable { case new, modify, cancel }

    public var action: Action
    public var patient: PatientFacts
    /// Present when the message has a PV1 with something in it.
    public var visit: VisitFacts?
    /// When the event happened (seconds since the epoch): admit/discharge time, EVN-6, EVN-2
    /// or MSH-7, in that order of preference.
    public var at: Int64

    public init(action: Action, patient: PatientFacts, visit: VisitFacts? = nil, at: Int64) {
        self.action = action
        self.patient = patient
        self.visit = visit
        self.at = at
    }
}
