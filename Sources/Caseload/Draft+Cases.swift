// Cases, coordinator assignment and care tasks.

extension Draft {
    /// Opens (or extends) the patient's case when the encounter qualifies under the rules.
    mutating func openCaseIfQualifying(patient: String, encounter: Encounter, newlyStarted: Bool) {
        guard rules.opensCase(patientClass: encounter.patientClass, unit: encounter.unit) else { return }
        if var current = openCase(of: patient) {
            guard !current.encounterIDs.contains(encounter.id) else { return }
            current.encounterIDs.append(encounter.id)
            emit(.careCase(current))
            note("case \(current.id) now covers encounter \(encounter.id)")
            if newlyStarted { flagReadmission(patient: patient, encounter: encounter, in: current) }
            return
        }
        let opened = openCase(patient: patient, encounter: encounter, withAssessment: true)
        if newlyStarted { flagReadmission(patient: patient, encounter: encounter, in: opened) }
    }

    /// A new case for the patient, assigned by the rules, with the initial assessment task.
    @discardableResult
    mutating func openCase(patient: String, encounter: Encounter, withAssessment: Bool) -> CareCase {
        let coordinator = assignCoordinator(patient: patient, unit: encounter.unit)
        let careCase = CareCase(id: newCaseID(), patientID: patient, coordinatorID: coordinator, openedAt: at,
                                encounterIDs: [encounter.id])
        emit(.careCase(careCase))
        note("case \(careCase.id) opened, \(coordinator.map { "assigned to \($0)" } ?? "in the unassigned queue")")
        if withAssessment {
            let admitted = encounter.admittedAt ?? at
            createTask(.initialAssessment, in: careCase, due: admitted + Int64(rules.initialAssessmentHours) * 3600, source: encounter.id)
        }
        return careCase
    }

    /// Continuity first (the coordinator of the patient's open or recently closed case, if
    /// they have room), else the least-loaded coordinator of a team covering the unit, else
    /// none (the unassigned queue).
    func assignCoordinator(patient: String, unit: String) -> String? {
        let recent = cases(of: patient)
            .filter { $0.coordinatorID != nil && ($0.status == .open || ($0.closedAt ?? .min) >= at - Int64(rules.continuityDays) * 86_400) }
            .max { CaseloadState.number(in: $0.id) < CaseloadState.number(in: $1.id) }
        if let previous = recent?.coordinatorID, let coordinator = rules.coordinators.first(where: { $0.id == previous }),
           openCaseCount(of: previous) < coordinator.capacity {
            return previous
        }
        // Each coordinator's load is looked up once (this runs for every new case).
        let teams = rules.teams(covering: unit)
        var best: (load: Int, id: String)?
        for coordinator in rules.coordinators where rules.teams.isEmpty || teams.contains(coordinator.team) {
            let load = openCaseCount(of: coordinator.id)
            guard load < coordinator.capacity else { continue }
            if best.map({ (load, coordinator.id) < ($0.load, $0.id) }) ?? true { best = (load, coordinator.id) }
        }
        return best?.id
    }

    /// A readmission within the window: risk flag on the case and a review task.
    mutating func flagReadmission(patient: String, encounter: Encounter, in careCase: CareCase) {
        let admitted = encounter.admittedAt ?? at
        let window = Int64(rules.readmissionWindowDays) * 86_400
        guard let previous = encounters(of: patient).filter({
            $0.id != encounter.id && $0.status == .discharged && ($0.dischargedAt ?? .min) <= admitted
                && ($0.dischargedAt ?? .min) >= admitted - window
        }).max(by: { ($0.dischargedAt ?? 0) < ($1.dischargedAt ?? 0) }) else { return }
        var flagged = self.careCase(careCase.id) ?? careCase
        if !flagged.riskFlags.contains("readmission-30d") {
            flagged.riskFlags = (flagged.riskFlags + ["readmission-30d"]).sorted()
            emit(.careCase(flagged))
        }
        note("readmission within \(rules.readmissionWindowDays) days of the discharge from encounter \(previous.id)")
        createTask(.readmissionReview, in: flagged, due: admitted + Int64(rules.initialAssessmentHours) * 3600, source: encounter.id)
    }

    @discardableResult
    mutating func createTask(_ kind: CareTask.Kind, in careCase: CareCase, due: Int64, source: String) -> CareTask {
        let task = CareTask(id: newTaskID(), kind: kind, caseID: careCase.id, patientID: careCase.patientID, dueAt: due, source: source)
        emit(.task(task))
        note("task \(task.id) \(kind) due \(Draft.timestamp(due))")
        return task
    }

    mutating func resolve(_ task: CareTask, _ status: CareTask.Status, _ why: String) {
        var resolved = self.task(task.id) ?? task
        guard resolved.status == .open else { return }
        resolved.status = status
        resolved.resolution = why
        resolved.resolvedAt = at
        emit(.task(resolved))
        note("task \(task.id) \(task.kind) \(status): \(why)")
    }

    /// `2026-11-29T14:00:00Z`.
    static func timestamp(_ time: Int64) -> String { BusinessCalendar.isoTimestamp(time) }
}
