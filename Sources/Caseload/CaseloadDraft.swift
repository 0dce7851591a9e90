// A decision in the making: the changed entities over the unchanged state, the events in
// order, and the sentences of the audit trail.

/// The working state of one decision. It never copies the caseload: changed entities live in
/// small overlays read before the state, so a decision costs what it touches, not the size of
/// the caseload.
struct Draft {
    let base: CaseloadState
    let rules: CaseloadRules
    let at: Int64
    private(set) var events: [CaseloadEvent] = []
    private(set) var changes: [String] = []
    private(set) var referralMessages: [ReferralMessageRequest] = []

    private var patients: [String: Patient] = [:]
    private var encounters: [String: Encounter] = [:]
    private var cases: [String: CareCase] = [:]
    private var tasks: [String: CareTask] = [:]
    private var appointments: [String: Appointment] = [:]
    private var referrals: [String: Referral] = [:]
    private var identifierOwner: [String: String] = [:]
    private var newIDsOfPatient: [PatientEntityKey: [String]] = [:]
    private var openCaseDelta: [String: Int] = [:]
    private var nextCase: Int
    private var nextTask: Int

    init(state: CaseloadState, rules: CaseloadRules, at: Int64) {
        self.base = state
        self.rules = rules
        self.at = at
        self.nextCase = state.nextCaseNumber
        self.nextTask = state.nextTaskNumber
    }

    func decision(patientID: String) -> CaseloadDecision {
        CaseloadDecision(events: events, patientID: patientID, changes: changes, at: at, referralMessages: referralMessages)
    }

    mutating func note(_ change: String) { changes.append(change) }

    /// Asks for an outbound referral message (built and queued with the decision's append).
    mutating func send(_ kind: ReferralMessageRequest.Kind, referralID: String) {
        referralMessages.append(ReferralMessageRequest(kind, referralID: referralID))
    }

    // MARK: Reads (overlay first)

    func patient(_ id: String) -> Patient? { patients[id] ?? base.patients[id] }
    func encounter(_ id: String) -> Encounter? { encounters[id] ?? base.encounters[id] }
    func careCase(_ id: String) -> CareCase? { cases[id] ?? base.cases[id] }
    func task(_ id: String) -> CareTask? { tasks[id] ?? base.tasks[id] }
    func appointment(_ id: String) -> Appointment? { appointments[id] ?? base.appointments[id] }
    func referral(_ id: String) -> Referral? { referrals[id] ?? base.referrals[id] }

    func owner(of identifier: PatientIdentifier) -> String? {
        identifierOwner[identifier.key] ?? base.patientByIdentifier[identifier.key]
    }

    func encounters(of patientID: String) -> [Encounter] {
        ids(of: patientID, "E", base.encountersOfPatient).compactMap { encounter($0) }.filter { $0.patientID == patientID }
    }
    func cases(of patientID: String) -> [CareCase] {
        ids(of: patientID, "C", base.casesOfPatient).compactMap { careCase($0) }.filter { $0.patientID == patientID }
    }
    func tasks(of patientID: String) -> [CareTask] {
        ids(of: patientID, "T", base.tasksOfPatient).compactMap { task($0) }.filter { $0.patientID == patientID }
    }
    func appointments(of patientID: String) -> [Appointment] {
        ids(of: patientID, "A", base.appointmentsOfPatient).compactMap { appointment($0) }.filter { $0.patientID == patientID }
    }
    func referrals(of patientID: String) -> [Referral] {
        ids(of: patientID, "R", base.referralsOfPatient).compactMap { referral($0) }.filter { $0.patientID == patientID }
    }

    func openCase(of patientID: String) -> CareCase? {
        cases(of: patientID).filter { $0.status == .open }.max { CaseloadState.number(in: $0.id) < CaseloadState.number(in: $1.id) }
    }

    func openCaseCount(of coordinatorID: String) -> Int { base.openCaseCount(of: coordinatorID) + (openCaseDelta[coordinatorID] ?? 0) }

    private func ids(of patientID: String, _ kind: Unicode.Scalar, _ index: ShardedTable<[String]>) -> [String] {
        var result = index[patientID] ?? []
        for id in newIDsOfPatient[PatientEntityKey(kind: kind, patientID: patientID)] ?? [] where !result.contains(id) { result.append(id) }
        return result
    }

    // MARK: Writes (one event each)

    mutating func emit(_ event: CaseloadEvent) {
        events.append(event)
        switch event {
        case .patient(let patient):
            patients[patient.id] = patient
            for identifier in patient.identifiers { identifierOwner[identifier.key] = patient.mergedInto ?? patient.id }
        case .encounter(let encounter):
            encounters[encounter.id] = encounter
            newIDsOfPatient[PatientEntityKey(kind: "E", patientID: encounter.patientID), default: []].append(encounter.id)
        case .careCase(let careCase):
            if let old = self.careCase(careCase.id), old.status == .open, let coordinator = old.coordinatorID {
                openCaseDelta[coordinator, default: 0] -= 1
            }
            if careCase.status == .open, let coordinator = careCase.coordinatorID { openCaseDelta[coordinator, default: 0] += 1 }
            cases[careCase.id] = careCase
            newIDsOfPatient[PatientEntityKey(kind: "C", patientID: careCase.patientID), default: []].append(careCase.id)
            nextCase = max(nextCase, CaseloadState.number(in: careCase.id) + 1)
        case .task(let task):
            tasks[task.id] = task
            newIDsOfPatient[PatientEntityKey(kind: "T", patientID: task.patientID), default: []].append(task.id)
            nextTask = max(nextTask, CaseloadState.number(in: task.id) + 1)
        case .appointment(let appointment):
            appointments[appointment.id] = appointment
            newIDsOfPatient[PatientEntityKey(kind: "A", patientID: appointment.patientID), default: []].append(appointment.id)
        case .referral(let referral):
            referrals[referral.id] = referral
            newIDsOfPatient[PatientEntityKey(kind: "R", patientID: referral.patientID), default: []].append(referral.id)
        }
    }

    func newCaseID() -> String { "C-\(nextCase)" }
    func newTaskID() -> String { "T-\(nextTask)" }

    // MARK: Patients

    /// The patient the facts name (created, or updated with what the message says); its id.
    mutating func upsertPatient(_ facts: PatientFacts) -> String {
        var knownID: String?
        for identifier in facts.identifiers where knownID == nil { knownID = owner(of: identifier) }
        let known = knownID.flatMap { self.patient($0) }
        var patient = known ?? Patient(id: Self.patientID(for: facts.identifiers), identifiers: [])
        let before = patient
        for identifier in facts.identifiers where !patient.identifiers.contains(where: { $0.key == identifier.key }) {
            patient.identifiers.append(identifier)
        }
        if !facts.familyName.isEmpty { patient.familyName = facts.familyName }
        if !facts.givenName.isEmpty { patient.givenName = facts.givenName }
        if !facts.birthDate.isEmpty { patient.birthDate = facts.birthDate }
        if !facts.sex.isEmpty { patient.sex = facts.sex }
        if !facts.phone.isEmpty { patient.phone = facts.phone }
        if !facts.contacts.isEmpty { patient.contacts = facts.contacts }
        if known == nil {
            emit(.patient(patient))
            note("patient \(patient.id) registered")
        } else if patient != before {
            emit(.patient(patient))
            note("patient \(patient.id) details updated")
        }
        return patient.id
    }

    /// The medical record number when there is one (type MR), else the first identifier.
    static func patientID(for identifiers: [PatientIdentifier]) -> String {
        (identifiers.first { $0.type.uppercased() == "MR" } ?? identifiers.first)?.key ?? "unknown"
    }
}

/// A patient's entities of one kind (`E`ncounters, `C`ases, `T`asks, `A`ppointments,
/// `R`eferrals) created in a draft: a key without building a joined string.
private struct PatientEntityKey: Hashable {
    var kind: Unicode.Scalar
    var patientID: String
}
