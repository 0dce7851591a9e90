// The caseload: every entity by id, indexes for the queries and the rules, the audit trail.

/// The projection of the journal. `apply` is the only way entities change; it is pure and
/// deterministic, so the same events in the same order always give the same state.
public struct CaseloadState: Sendable {
    public private(set) var patients = ShardedTable<Patient>()
    public private(set) var encounters = ShardedTable<Encounter>()
    public private(set) var cases = ShardedTable<CareCase>()
    public private(set) var tasks = ShardedTable<CareTask>()
    public private(set) var appointments = ShardedTable<Appointment>()
    public private(set) var referrals = ShardedTable<Referral>()
    /// Every change, in journal order.
    public private(set) var audit = AuditTrail()
    /// Identifier key (`AUTH:VALUE`) → patient id (merged patients point at the survivor).
    public private(set) var patientByIdentifier = ShardedTable<String>()
    /// Bare identifier value (no authority) → patient id; empty when several patients share it.
    private var patientByBareValue = ShardedTable<String>()
    /// Patient id → ids of its encounters / cases / tasks / appointments / referrals.
    public private(set) var encountersOfPatient = ShardedTable<[String]>()
    public private(set) var casesOfPatient = ShardedTable<[String]>()
    public private(set) var tasksOfPatient = ShardedTable<[String]>()
    public private(set) var appointmentsOfPatient = ShardedTable<[String]>()
    public private(set) var referralsOfPatient = ShardedTable<[String]>()
    /// Coordinator id → open cases carried.
    public private(set) var openCasesOfCoordinator: [String: Int] = [:]
    /// The numbers the next case and task ids get.
    public private(set) var nextCaseNumber = 1
    public private(set) var nextTaskNumber = 1
    /// Events applied so far.
    public private(set) var eventCount = 0

    public init() {}

    /// The state exactly as an ``Image`` holds it (a snapshot being loaded).
    package init(image: Image) {
        patients = image.patients
        encounters = image.encounters
        cases = image.cases
        tasks = image.tasks
        appointments = image.appointments
        referrals = image.referrals
        audit = image.audit
        patientByIdentifier = image.patientByIdentifier
        patientByBareValue = image.patientByBareValue
        encountersOfPatient = image.encountersOfPatient
        casesOfPatient = image.casesOfPatient
        tasksOfPatient = image.tasksOfPatient
        appointmentsOfPatient = image.appointmentsOfPatient
        referralsOfPatient = image.referralsOfPatient
        openCasesOfCoordinator = image.openCasesOfCoordinator
        nextCaseNumber = image.nextCaseNumber
        nextTaskNumber = image.nextTaskNumber
        eventCount = image.eventCount
    }

    /// Everything the state holds, indexes included (what a snapshot stores).
    package var image: Image {
        Image(patients: patients, encounters: encounters, cases: cases, tasks: tasks, appointments: appointments,
              referrals: referrals, audit: audit, patientByIdentifier: patientByIdentifier,
              patientByBareValue: patientByBareValue, encountersOfPatient: encountersOfPatient,
              casesOfPatient: casesOfPatient, tasksOfPatient: tasksOfPatient, appointmentsOfPatient: appointmentsOfPatient,
              referralsOfPatient: referralsOfPatient, openCasesOfCoordinator: openCasesOfCoordinator,
              nextCaseNumber: nextCaseNumber, nextTaskNumber: nextTaskNumber, eventCount: eventCount)
    }

    /// Applies one event.
    public mutating func apply(_ event: CaseloadEvent) {
        eventCount += 1
        switch event {
        case .patient(let patient):
            let old = patients.updateValue(patient, forKey: patient.id)
            if old == nil { encountersOfPatient[patient.id] = encountersOfPatient[patient.id] ?? [] }
            let owner = patient.mergedInto ?? patient.id
            for identifier in patient.identifiers {
                patientByIdentifier[identifier.key] = owner
                if let known = patientByBareValue[identifier.value], known != owner, patients[known]?.mergedInto != owner {
                    patientByBareValue[identifier.value] = ""
                } else {
                    patientByBareValue[identifier.value] = owner
                }
            }
        case .encounter(let encounter):
            if let old = encounters.updateValue(encounter, forKey: encounter.id) {
                if old.patientID != encounter.patientID { Self.move(encounter.id, from: old.patientID, to: encounter.patientID, in: &encountersOfPatient) }
            } else {
                encountersOfPatient[encounter.patientID, default: []].append(encounter.id)
            }
        case .careCase(let careCase):
            let old = cases.updateValue(careCase, forKey: careCase.id)
            if let old {
                if old.patientID != careCase.patientID { Self.move(careCase.id, from: old.patientID, to: careCase.patientID, in: &casesOfPatient) }
                if old.status == .open, let coordinator = old.coordinatorID { openCasesOfCoordinator[coordinator, default: 0] -= 1 }
            } else {
                casesOfPatient[careCase.patientID, default: []].append(careCase.id)
            }
            if careCase.status == .open, let coordinator = careCase.coordinatorID { openCasesOfCoordinator[coordinator, default: 0] += 1 }
            nextCaseNumber = max(nextCaseNumber, Self.number(in: careCase.id) + 1)
        case .task(let task):
            if let old = tasks.updateValue(task, forKey: task.id) {
                if old.patientID != task.patientID { Self.move(task.id, from: old.patientID, to: task.patientID, in: &tasksOfPatient) }
            } else {
                tasksOfPatient[task.patientID, default: []].append(task.id)
            }
            nextTaskNumber = max(nextTaskNumber, Self.number(in: task.id) + 1)
        case .appointment(let appointment):
            if let old = appointments.updateValue(appointment, forKey: appointment.id) {
                if old.patientID != appointment.patientID {
                    Self.move(appointment.id, from: old.patientID, to: appointment.patientID, in: &appointmentsOfPatient)
                }
            } else {
                appointmentsOfPatient[appointment.patientID, default: []].append(appointment.id)
            }
        case .referral(let referral):
            if let old = referrals.updateValue(referral, forKey: referral.id) {
                if old.patientID != referral.patientID { Self.move(referral.id, from: old.patientID, to: referral.patientID, in: &referralsOfPatient) }
            } else {
                referralsOfPatient[referral.patientID, default: []].append(referral.id)
            }
        }
    }

    /// Applies a decision's events.
    public mutating func apply(_ decision: CaseloadDecision) {
        for event in decision.events { apply(event) }
    }

    /// Adds the audit entry of a durable decision.
    public mutating func recordAudit(_ entry: AuditEntry) {
        audit.append(entry)
    }

    // MARK: Lookups

    /// The patient an identifier names (following merges), if known.
    public func patient(identifiedBy identifier: PatientIdentifier) -> Patient? {
        patientByIdentifier[identifier.key].flatMap { patients[$0] }
    }

    /// The patient for a query string: an id, `AUTHORITY:VALUE`, or a bare identifier value
    /// when it is unambiguous.
    public func patient(matching text: String) -> Patient? {
        if let patient = patients[text] { return patient.mergedInto.flatMap { patients[$0] } ?? patient }
        if let id = patientByIdentifier[text], let patient = patients[id] { return patient }
        // A bare value names a patient only when no other patient holds it (an index, not a
        // scan: queries run under the caseload lock).
        guard let id = patientByBareValue[text], !id.isEmpty, let patient = patients[id] else { return nil }
        return patient.mergedInto.flatMap { patients[$0] } ?? patient
    }

    public func encounters(of patientID: String) -> [Encounter] { (encountersOfPatient[patientID] ?? []).compactMap { encounters[$0] } }
    public func cases(of patientID: String) -> [CareCase] { (casesOfPatient[patientID] ?? []).compactMap { cases[$0] } }
    public func tasks(of patientID: String) -> [CareTask] { (tasksOfPatient[patientID] ?? []).compactMap { tasks[$0] } }
    public func appointments(of patientID: String) -> [Appointment] {
        (appointmentsOfPatient[patientID] ?? []).compactMap { appointments[$0] }
    }
    public func referrals(of patientID: String) -> [Referral] {
        let table: ShardedTable<Referral> = referrals
        return (referralsOfPatient[patientID] ?? []).compactMap { table[$0] }
    }

    /// The patient's open case, if any (the newest when several).
    public func openCase(of patientID: String) -> CareCase? {
        cases(of: patientID).filter { $0.status == .open }.max { Self.number(in: $0.id) < Self.number(in: $1.id) }
    }

    /// Open cases a coordinator carries.
    public func openCaseCount(of coordinatorID: String) -> Int { openCasesOfCoordinator[coordinatorID] ?? 0 }

    /// The audit entries that concern a patient, oldest first.
    public func history(of patientID: String) -> [AuditEntry] { audit.filter { $0.patientID == patientID } }

    /// `C-12` → 12.
    static func number(in id: String) -> Int {
        guard let dash = id.lastIndex(of: "-") else { return 0 }
        return Int(id[id.index(after: dash)...]) ?? 0
    }

    private static func move(_ id: String, from old: String, to new: String, in index: inout ShardedTable<[String]>) {
        index[old]?.removeAll { $0 == id }
        index[new, default: []].append(id)
    }
}
