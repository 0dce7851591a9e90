// The figures a care-coordination lead asks for, computed from the caseload: who carries how
// many open cases, what is overdue, whether discharged patients were contacted in time, and how
// many came back within the readmission window.

/// A summary of the caseload at one moment, over a period of discharges.
public struct QualityReport: Sendable, Equatable {
    /// One coordinator's load.
    public struct CoordinatorLoad: Sendable, Equatable {
        public var id: String
        public var name: String
        public var team: String
        public var capacity: Int
        public var openCases: Int
        public var overdueTasks: Int
    }

    /// Post-discharge contacts of the discharges in the period.
    public struct DischargeContacts: Sendable, Equatable {
        /// Contact tasks of discharges in the period (cancelled ones excluded: the discharge was).
        public var discharges: Int
        /// Completed by the due time (the end of the configured business day).
        public var contactedInTime: Int
        /// Completed after the due time.
        public var contactedLate: Int
        /// Still open and past due.
        public var notContacted: Int
        /// Still open and not yet due: not counted in the share.
        public var notYetDue: Int
        /// In time / (in time + late + not contacted); nil when none is due yet.
        public var shareInTime: Double? {
            let decided = contactedInTime + contactedLate + notContacted
            return decided == 0 ? nil : Double(contactedInTime) / Double(decided)
        }
    }

    /// Readmissions within the window among the admissions in the period.
    public struct Readmissions: Sendable, Equatable {
        /// Discharges in the period (the denominator).
        public var discharges: Int
        /// Admissions in the period that came within the window after a discharge.
        public var readmissions: Int
        public var windowDays: Int
        /// Readmissions per discharge; nil without discharges.
        public var rate: Double? { discharges == 0 ? nil : Double(readmissions) / Double(discharges) }
    }

    /// When the report was computed (seconds since the epoch).
    public var at: Int64
    /// The period discharges and admissions are counted over: `since..<at`.
    public var since: Int64
    public var openCases: Int
    public var unassignedOpenCases: Int
    /// Configured coordinators (and any the caseload names that the rules no longer list).
    public var coordinators: [CoordinatorLoad]
    /// Open tasks past their due time, in all and by kind.
    public var overdueTasks: Int
    public var overdueTasksByKind: [String: Int]
    public var dischargeContacts: DischargeContacts
    public var readmissions: Readmissions

    /// Computes the report at `now` over discharges and admissions since `since`.
    public init(state: borrowing CaseloadState, rules: CaseloadRules, now: Int64, since: Int64) {
        at = now
        self.since = since
        var openCases = 0, unassigned = 0
        var openByCoordinator: [String: Int] = [:]
        for careCase in state.cases.values where careCase.status == .open {
            openCases += 1
            if let coordinator = careCase.coordinatorID { openByCoordinator[coordinator, default: 0] += 1 } else { unassigned += 1 }
        }
        self.openCases = openCases
        unassignedOpenCases = unassigned

        var overdue = 0
        var overdueByKind: [String: Int] = [:]
        var overdueByCoordinator: [String: Int] = [:]
        var contacts = DischargeContacts(discharges: 0, contactedInTime: 0, contactedLate: 0, notContacted: 0, notYetDue: 0)
        var readmissionCount = 0
        for task in state.tasks.values {
            if task.status == .open, task.dueAt < now {
                overdue += 1
                overdueByKind["\(task.kind)", default: 0] += 1
                let owner = state.cases[task.caseID]?.coordinatorID ?? "unassigned"
                overdueByCoordinator[owner, default: 0] += 1
            }
            switch task.kind {
            case .postDischargeContact:
                guard task.status != .cancelled, let encounter = state.encounters[task.source],
                      let discharged = encounter.dischargedAt, discharged >= since, discharged < now else { break }
                contacts.discharges += 1
                switch task.status {
                case .satisfied:
                    if let resolved = task.resolvedAt, resolved > task.dueAt { contacts.contactedLate += 1 } else { contacts.contactedInTime += 1 }
                case .open:
                    if task.dueAt < now { contacts.notContacted += 1 } else { contacts.notYetDue += 1 }
                case .cancelled: break
                }
            case .readmissionReview:
                guard task.status != .cancelled, let encounter = state.encounters[task.source],
                      let admitted = encounter.admittedAt, admitted >= since, admitted < now else { break }
                readmissionCount += 1
            default: break
            }
        }
        overdueTasks = overdue
        overdueTasksByKind = overdueByKind
        dischargeContacts = contacts

        var discharges = 0
        for encounter in state.encounters.values where encounter.status == .discharged {
            if let discharged = encounter.dischargedAt, discharged >= since, discharged < now { discharges += 1 }
        }
        readmissions = Readmissions(discharges: discharges, readmissions: readmissionCount, windowDays: rules.readmissionWindowDays)

        var loads = rules.coordinators.map {
            CoordinatorLoad(id: $0.id, name: $0.name, team: $0.team, capacity: $0.capacity,
                            openCases: openByCoordinator[$0.id] ?? 0, overdueTasks: overdueByCoordinator[$0.id] ?? 0)
        }
        let configured = Set(rules.coordinators.map(\.id))
        for id in Set(openByCoordinator.keys).union(overdueByCoordinator.keys).subtracting(configured).subtracting(["unassigned"]).sorted() {
            loads.append(CoordinatorLoad(id: id, name: "", team: "", capacity: 0, openCases: openByCoordinator[id] ?? 0,
                                         overdueTasks: overdueByCoordinator[id] ?? 0))
        }
        coordinators = loads
    }
}
