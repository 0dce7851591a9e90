// The whole of a caseload as plain stored properties: what a snapshot writes and reads back.

extension CaseloadState {
    /// Every entity, the audit trail and every index of a ``CaseloadState``. The indexes are
    /// kept (not recomputed) because their order is part of the state: lists per patient are in
    /// the order entities arrived, and a restored caseload must answer and decide exactly as the
    /// one that was saved.
    package struct Image: Sendable, Equatable {
        package var patients: ShardedTable<Patient>
        package var encounters: ShardedTable<Encounter>
        package var cases: ShardedTable<CareCase>
        package var tasks: ShardedTable<CareTask>
        package var appointments: ShardedTable<Appointment>
        package var referrals: ShardedTable<Referral>
        package var audit: AuditTrail
        package var patientByIdentifier: ShardedTable<String>
        package var patientByBareValue: ShardedTable<String>
        package var encountersOfPatient: ShardedTable<[String]>
        package var casesOfPatient: ShardedTable<[String]>
        package var tasksOfPatient: ShardedTable<[String]>
        package var appointmentsOfPatient: ShardedTable<[String]>
        package var referralsOfPatient: ShardedTable<[String]>
        package var openCasesOfCoordinator: [String: Int]
        package var nextCaseNumber: Int
        package var nextTaskNumber: Int
        package var eventCount: Int

        package init(
            patients: ShardedTable<Patient> = .init(), encounters: ShardedTable<Encounter> = .init(), cases: ShardedTable<CareCase> = .init(),
            tasks: ShardedTable<CareTask> = .init(), appointments: ShardedTable<Appointment> = .init(), referrals: ShardedTable<Referral> = .init(),
            audit: AuditTrail = .init(), patientByIdentifier: ShardedTable<String> = .init(), patientByBareValue: ShardedTable<String> = .init(),
            encountersOfPatient: ShardedTable<[String]> = .init(), casesOfPatient: ShardedTable<[String]> = .init(),
            tasksOfPatient: ShardedTable<[String]> = .init(), appointmentsOfPatient: ShardedTable<[String]> = .init(),
            referralsOfPatient: ShardedTable<[String]> = .init(), openCasesOfCoordinator: [String: Int] = [:],
            nextCaseNumber: Int = 1, nextTaskNumber: Int = 1, eventCount: Int = 0
        ) {
            self.patients = patients
            self.encounters = encounters
            self.cases = cases
            self.tasks = tasks
            self.appointments = appointments
            self.referrals = referrals
            self.audit = audit
            self.patientByIdentifier = patientByIdentifier
            self.patientByBareValue = patientByBareValue
            self.encountersOfPatient = encountersOfPatient
            self.casesOfPatient = casesOfPatient
            self.tasksOfPatient = tasksOfPatient
            self.appointmentsOfPatient = appointmentsOfPatient
            self.referralsOfPatient = referralsOfPatient
            self.openCasesOfCoordinator = openCasesOfCoordinator
            self.nextCaseNumber = nextCaseNumber
            self.nextTaskNumber = nextTaskNumber
            self.eventCount = eventCount
        }
    }
}
