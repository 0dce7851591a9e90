// ADT: admissions, transfers, discharges, class changes, updates and their cancellations.

extension Draft {
    /// The encounter a visit refers to: by visit number, else the patient's current one.
    /// An encounter first seen without a visit number is matched by the next message that
    /// carries one (senders often fill PV1-19 only from the registration system's later messages).
    func resolveEncounter(patient: String, visit: VisitFacts, includeDischarged: Bool = false) -> Encounter? {
        if !visit.visitNumber.isEmpty {
            if let known = self.encounter(visit.visitNumber) { return known }
            return encounters(of: patient).last {
                $0.id.hasPrefix(patient + "/") && ($0.status == .active || $0.status == .preadmitted || (includeDischarged && $0.status == .discharged))
            }
        }
        let candidates = encounters(of: patient).filter {
            $0.status == .active || $0.status == .preadmitted || (includeDischarged && $0.status == .discharged)
        }
        return candidates.last
    }

    /// A new encounter for the visit.
    func newEncounter(patient: String, visit: VisitFacts, status: Encounter.Status) -> Encounter {
        let id = visit.visitNumber.isEmpty ? "\(patient)/\(visit.admittedAt ?? at)" : visit.visitNumber
        return Encounter(id: id, patientID: patient, patientClass: visit.patientClass, location: visit.location,
                         attending: visit.attending, admittedAt: visit.admittedAt, dischargedAt: nil,
                         dischargeDisposition: "", status: status)
    }

    /// Copies what the message says over the encounter (empty values leave fields as they were).
    func merged(_ encounter: Encounter, with visit: VisitFacts) -> Encounter {
        var updated = encounter
        if !visit.patientClass.isEmpty { updated.patientClass = visit.patientClass }
        if !visit.location.isEmpty { updated.location = visit.location }
        if !visit.attending.isEmpty { updated.attending = visit.attending }
        if updated.admittedAt == nil, let admitted = visit.admittedAt { updated.admittedAt = admitted }
        return updated
    }

    mutating func admit(patient: String, visit: VisitFacts, kind: CaseloadCommand.AdmitKind) {
        let status: Encounter.Status = kind == .preadmit ? .preadmitted : .active
        let verb = kind == .preadmit ? "pre-admitted" : (kind == .register ? "registered" : "admitted")
        if var existing = resolveEncounter(patient: patient, visit: visit, includeDischarged: true) {
            switch existing.status {
            case .discharged:
                // The discharge came first: keep it discharged, fill in what the admission knows.
                let updated = merged(existing, with: visit)
                if updated != existing { emit(.encounter(updated)) }
                note("late \(verb) message for discharged encounter \(existing.id): details recorded, still discharged")
                return
            case .active where status == .preadmitted:
                note("pre-admission for active encounter \(existing.id): nothing to change")
                return
            default:
                existing = merged(existing, with: visit)
                let wasActive = existing.status == .active
                existing.status = status
                emit(.encounter(existing))
                note("encounter \(existing.id) \(verb) at \(existing.location.isEmpty ? "unknown location" : existing.location)")
                if status == .active, !wasActive || openCase(of: patient) == nil {
                    openCaseIfQualifying(patient: patient, encounter: existing, newlyStarted: !wasActive)
                }
            }
            return
        }
        var encounter = newEncounter(patient: patient, visit: visit, status: status)
        if status == .active, encounter.admittedAt == nil { encounter.admittedAt = at }
        emit(.encounter(encounter))
        note("encounter \(encounter.id) \(verb) at \(encounter.location.isEmpty ? "unknown location" : encounter.location) (class \(encounter.patientClass.isEmpty ? "?" : encounter.patientClass))")
        if status == .active { openCaseIfQualifying(patient: patient, encounter: encounter, newlyStarted: true) }
    }

    mutating func transfer(patient: String, visit: VisitFacts) {
        var encounter = resolveEncounter(patient: patient, visit: visit) ?? {
            var created = newEncounter(patient: patient, visit: visit, status: .active)
            created.location = ""
            if created.admittedAt == nil { created.admittedAt = at }
            return created
        }()
        let from = encounter.location
        encounter.priorLocation = from
        encounter = merged(encounter, with: visit)
        if encounter.status == .preadmitted { encounter.status = .active }
        emit(.encounter(encounter))
        note("encounter \(encounter.id) transferred from \(from.isEmpty ? "unknown location" : from) to \(encounter.location)")
        if encounter.status == .active { openCaseIfQualifying(patient: patient, encounter: encounter, newlyStarted: false) }
    }

    mutating func changeClass(patient: String, visit: VisitFacts) {
        guard var encounter = resolveEncounter(patient: patient, visit: visit) else {
            let created = newEncounter(patient: patient, visit: visit, status: .active)
            emit(.encounter(created))
            note("encounter \(created.id) created by a class change (class \(created.patientClass))")
            openCaseIfQualifying(patient: patient, encounter: created, newlyStarted: false)
            return
        }
        let from = encounter.patientClass
        encounter = merged(encounter, with: visit)
        emit(.encounter(encounter))
        note("encounter \(encounter.id) class changed from \(from.isEmpty ? "?" : from) to \(encounter.patientClass)")
        if encounter.status == .active { openCaseIfQualifying(patient: patient, encounter: encounter, newlyStarted: false) }
    }

    mutating func updateVisit(patient: String, visit: VisitFacts) {
        guard let encounter = resolveEncounter(patient: patient, visit: visit, includeDischarged: true) else {
            guard !visit.visitNumber.isEmpty else { return }
            var created = newEncounter(patient: patient, visit: visit, status: .active)
            if created.admittedAt == nil { created.admittedAt = at }
            emit(.encounter(created))
            note("encounter \(created.id) created by an update (no admission seen)")
            return
        }
        let updated = merged(encounter, with: visit)
        if updated != encounter {
            emit(.encounter(updated))
            note("encounter \(updated.id) details updated")
        }
    }

    mutating func discharge(patient: String, visit: VisitFacts) {
        let dischargedAt = visit.dischargedAt ?? at
        var encounter: Encounter
        if let existing = resolveEncounter(patient: patient, visit: visit, includeDischarged: true) {
            encounter = merged(existing, with: visit)
            if existing.status == .discharged {
                encounter.dischargeDisposition = visit.dischargeDisposition.isEmpty ? encounter.dischargeDisposition : visit.dischargeDisposition
                if encounter != existing { emit(.encounter(encounter)) }
                note("encounter \(existing.id) already discharged: repeated discharge recorded, no new tasks")
                if !visit.dischargeDisposition.isEmpty, visit.dischargeDisposition != existing.dischargeDisposition {
                    // A corrected disposition: referrals the old one made and the new one does not
                    // call for are withdrawn; those it calls for are made.
                    let wanted = Set(rules.referralRules(forDisposition: encounter.dischargeDisposition).map(\.destination))
                    withdrawReferrals(patient: patient, of: encounter, because: "discharge disposition corrected to \(encounter.dischargeDisposition)") {
                        !wanted.contains($0.partner)
                    }
                    refer(patient: patient, after: encounter)
                }
                return
            }
        } else {
            // Discharge before admission (or of a visit we never saw admitted).
            encounter = newEncounter(patient: patient, visit: visit, status: .discharged)
            note("discharge for encounter \(encounter.id) with no admission seen")
        }
        encounter.status = .discharged
        encounter.dischargedAt = dischargedAt
        if !visit.dischargeDisposition.isEmpty { encounter.dischargeDisposition = visit.dischargeDisposition }
        emit(.encounter(encounter))
        note("encounter \(encounter.id) discharged\(encounter.dischargeDisposition.isEmpty ? "" : " (disposition \(encounter.dischargeDisposition))")")

        var careCase = openCase(of: patient)
        if careCase == nil, rules.opensCase(patientClass: encounter.patientClass, unit: encounter.unit) {
            careCase = openCase(patient: patient, encounter: encounter, withAssessment: false)
        }
        guard var current = careCase else { return }
        if !current.encounterIDs.contains(encounter.id) {
            current.encounterIDs.append(encounter.id)
            emit(.careCase(current))
        }
        for task in tasks(of: patient) where task.status == .open && task.kind == .initialAssessment && task.source == encounter.id {
            resolve(task, .cancelled, "patient discharged before the initial assessment")
        }
        createTask(.postDischargeContact, in: current, due: rules.calendar.endOfBusinessDay(rules.postDischargeContactBusinessDays, after: dischargedAt),
                   source: encounter.id)
        let followUpDue = dischargedAt + Int64(rules.followUpAppointmentDays) * 86_400
        let followUp = createTask(.followUpAppointment, in: current, due: followUpDue, source: encounter.id)
        if let booked = appointments(of: patient).first(where: {
            $0.status == .booked && ($0.startsAt ?? .min) >= dischargedAt && ($0.startsAt ?? .max) <= followUpDue
        }) {
            resolve(followUp, .satisfied, "appointment \(booked.id) already booked")
        }
        refer(patient: patient, after: encounter)
    }

    /// Outbound referrals the rules ask for after a discharge: one per matching rule, made
    /// once per encounter (its id comes from the encounter), sent as REF^I12.
    mutating func refer(patient: String, after encounter: Encounter) {
        for rule in rules.referralRules(forDisposition: encounter.dischargeDisposition) {
            // A referral withdrawn earlier (discharge cancelled, then discharged again) keeps
            // its id: the new one takes the next (`...-2`), so a partner never sees an id reused.
            var occurrence = 1
            var id = rule.referralID(encounterID: encounter.id)
            while let existing = referral(id), existing.status == .cancelled {
                occurrence += 1
                id = rule.referralID(encounterID: encounter.id, occurrence: occurrence)
            }
            if referral(id) != nil {
                note("referral \(id) to \(rule.destination) already made")
                continue
            }
            let referral = Referral(id: id, patientID: patient, direction: .outbound, partner: rule.destination, priority: rule.priority,
                                    type: rule.type, reason: rule.reason, status: .pending, updatedAt: at, source: encounter.id)
            emit(.referral(referral))
            send(.newReferral, referralID: id)
            note("referral \(id) to \(rule.destination) made (discharge disposition \(encounter.dischargeDisposition))")
        }
    }

    /// Withdraws the outbound referrals an encounter's discharge made (REF^I14 for each still
    /// pending or accepted).
    mutating func withdrawReferrals(patient: String, of encounter: Encounter, because reason: String,
                                    where matches: (Referral) -> Bool = { _ in true }) {
        for var referral in referrals(of: patient)
        where referral.direction == .outbound && referral.source == encounter.id && (referral.status == .pending || referral.status == .accepted)
            && matches(referral) {
            referral.status = .cancelled
            referral.updatedAt = at
            emit(.referral(referral))
            send(.cancellation, referralID: referral.id)
            note("referral \(referral.id) to \(referral.partner) withdrawn: \(reason)")
        }
    }

    mutating func cancelAdmit(patient: String, visit: VisitFacts) {
        guard var encounter = resolveEncounter(patient: patient, visit: visit) else {
            note("admission cancel for an encounter not known or not active: nothing to cancel")
            return
        }
        encounter.status = .cancelled
        emit(.encounter(encounter))
        note("encounter \(encounter.id) admission cancelled")
        for task in tasks(of: patient) where task.status == .open && task.source == encounter.id {
            resolve(task, .cancelled, "admission cancelled")
        }
        for var careCase in cases(of: patient) where careCase.status == .open && careCase.encounterIDs.contains(encounter.id) {
            careCase.encounterIDs.removeAll { $0 == encounter.id }
            if careCase.encounterIDs.isEmpty && !tasks(of: patient).contains(where: { $0.caseID == careCase.id && $0.status == .open }) {
                careCase.status = .cancelled
                careCase.closedAt = at
                careCase.closeReason = "admission cancelled"
                note("case \(careCase.id) cancelled with the admission")
            }
            emit(.careCase(careCase))
        }
    }

    mutating func cancelTransfer(patient: String, visit: VisitFacts) {
        guard var encounter = resolveEncounter(patient: patient, visit: visit) else {
            note("transfer cancel for an encounter not known or not active: nothing to cancel")
            return
        }
        let back = visit.location.isEmpty ? encounter.priorLocation : visit.location
        guard !back.isEmpty, back != encounter.location else {
            note("transfer cancel for encounter \(encounter.id): no prior location known, location kept")
            return
        }
        let from = encounter.location
        encounter.location = back
        encounter.priorLocation = from
        emit(.encounter(encounter))
        note("encounter \(encounter.id) transfer cancelled: back to \(back)")
    }

    mutating func cancelDischarge(patient: String, visit: VisitFacts) {
        let candidates = encounters(of: patient)
        let target = visit.visitNumber.isEmpty ? candidates.last(where: { $0.status == .discharged }) : self.encounter(visit.visitNumber)
        guard var encounter = target, encounter.status == .discharged else {
            note("discharge cancel for an encounter not discharged: nothing to cancel")
            return
        }
        if let later = candidates.first(where: {
            $0.id != encounter.id && $0.status != .cancelled && ($0.admittedAt ?? .min) >= (encounter.dischargedAt ?? .max)
        }) {
            note("discharge cancel for encounter \(encounter.id) ignored: the patient was admitted again since (encounter \(later.id))")
            return
        }
        encounter.status = .active
        encounter.dischargedAt = nil
        encounter.dischargeDisposition = ""
        emit(.encounter(encounter))
        note("encounter \(encounter.id) discharge cancelled: active again")
        for task in tasks(of: patient) where task.status == .open && task.source == encounter.id
            && (task.kind == .postDischargeContact || task.kind == .followUpAppointment) {
            resolve(task, .cancelled, "discharge cancelled")
        }
        withdrawReferrals(patient: patient, of: encounter, because: "discharge cancelled")
    }
}
