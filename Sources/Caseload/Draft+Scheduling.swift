// SIU appointments and REF/RRI referrals.

extension Draft {
    mutating func appointment(_ action: CaseloadCommand.AppointmentAction, _ facts: AppointmentFacts, patient: String) {
        let existing = self.appointment(facts.id)
        var appointment = existing ?? Appointment(id: facts.id, patientID: patient)
        appointment.patientID = patient
        if let start = facts.startsAt { appointment.startsAt = start }
        if facts.durationMinutes > 0 { appointment.durationMinutes = facts.durationMinutes }
        if !facts.reason.isEmpty { appointment.reason = facts.reason }
        if !facts.location.isEmpty { appointment.location = facts.location }
        if !facts.provider.isEmpty { appointment.provider = facts.provider }
        let when = appointment.startsAt.map { " for \(Draft.timestamp($0))" } ?? ""
        switch action {
        case .book, .reschedule, .modify:
            let wasBooked = existing?.status == .booked
            appointment.status = .booked
            emit(.appointment(appointment))
            let verb = action == .book ? "booked" : (action == .reschedule ? "rescheduled" : "modified")
            note("appointment \(appointment.id) \(verb)\(when)\(existing == nil && action != .book ? " (first message seen for it)" : "")")
            if !wasBooked || action != .modify {
                for task in tasks(of: patient) where task.status == .open && (task.kind == .followUpAppointment || task.kind == .reschedule) {
                    resolve(task, .satisfied, "appointment \(appointment.id) \(verb)")
                }
            }
        case .cancel, .delete, .noShow:
            let wasBooked = existing == nil || existing?.status == .booked
            appointment.status = action == .cancel ? .cancelled : (action == .delete ? .deleted : .noShow)
            emit(.appointment(appointment))
            note("appointment \(appointment.id) \(appointment.status)\(when)")
            if wasBooked, let careCase = openCase(of: patient) {
                createTask(.reschedule, in: careCase, due: rules.calendar.endOfBusinessDay(rules.rescheduleBusinessDays, after: at),
                           source: appointment.id)
            }
        }
    }

    mutating func referral(_ action: CaseloadCommand.ReferralAction, _ facts: ReferralFacts, partner: String, patient: String) {
        let existing = self.referral(facts.id)
        var referral = existing ?? Referral(id: facts.id, patientID: patient, direction: .inbound, partner: partner, updatedAt: at)
        referral.patientID = patient
        if !facts.priority.isEmpty { referral.priority = facts.priority }
        if !facts.type.isEmpty { referral.type = facts.type }
        if !facts.reason.isEmpty { referral.reason = facts.reason }
        if !facts.externalID.isEmpty { referral.partnerReference = facts.externalID }
        referral.updatedAt = at
        switch action {
        case .new:
            if existing?.status == .cancelled {
                note("referral \(facts.id) from \(partner) arrived after its cancellation: kept cancelled")
            } else {
                referral.status = Self.status(facts.statusCode) ?? .pending
                note("referral \(facts.id) received from \(partner)")
            }
        case .modify:
            if existing?.status != .cancelled, let status = Self.status(facts.statusCode) { referral.status = status }
            note("referral \(facts.id) modified by \(partner)\(existing == nil ? " (first message seen for it)" : "")")
        case .cancel:
            referral.status = .cancelled
            note("referral \(facts.id) cancelled by \(partner)")
        }
        emit(.referral(referral))
    }

    mutating func referralResponse(_ facts: ReferralFacts, partner: String, patient: String) {
        let existing = self.referral(facts.id)
        var referral = existing ?? Referral(id: facts.id, patientID: patient, direction: .outbound, partner: partner, updatedAt: at)
        if let status = Self.status(facts.statusCode) { referral.status = status }
        if !facts.externalID.isEmpty { referral.partnerReference = facts.externalID }
        referral.updatedAt = at
        emit(.referral(referral))
        note("referral \(facts.id) answered by \(partner): \(referral.status)\(existing == nil ? " (no referral of ours known by that id)" : "")")
    }

    /// RF1-1, HL7 table 0283.
    static func status(_ code: String) -> Referral.Status? {
        switch code.uppercased() {
        case "A": .accepted
        case "R": .rejected
        case "E": .cancelled
        case "P": .pending
        default: nil
        }
    }
}
