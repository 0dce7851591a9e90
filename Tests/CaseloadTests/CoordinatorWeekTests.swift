// A coordinator's week, as the rules should play it: admit → case opened and assigned →
// transfer → discharge to home health → tasks due → follow-up booked → task satisfied →
// no-show → reschedule task → readmission within 30 days flagged.
import Caseload
import Testing

/// Builds commands and runs them through the decider, applying each decision like the daemon.
struct Ward {
    var state = CaseloadState()
    let decider: CaseloadDecider
    var decisions: [CaseloadDecision] = []

    init(rules: CaseloadRules = Ward.rules) { decider = CaseloadDecider(rules: rules) }

    static var rules: CaseloadRules {
        var rules = CaseloadRules()
        rules.teams = [.init(name: "medicine", units: ["4WEST", "5EAST"]), .init(name: "float")]
        rules.coordinators = [
            Coordinator(id: "coord-a", name: "Avery", team: "medicine", capacity: 2),
            Coordinator(id: "coord-b", name: "Blake", team: "medicine", capacity: 2),
            Coordinator(id: "coord-f", name: "Finley", team: "float", capacity: 10),
        ]
        rules.calendar = BusinessCalendar(holidays: ["2026-12-25"])
        return rules
    }

    static func patient(_ mrn: String) -> PatientFacts {
        PatientFacts(identifiers: [PatientIdentifier(value: mrn, authority: "GHH", type: "MR")], familyName: "SYNTHETIC", givenName: "PAT")
    }

    /// Seconds since the epoch of a UTC date and hour.
    static func at(_ date: String, _ hour: Int = 9) -> Int64 {
        let parts = date.split(separator: "-").map { Int64($0)! }
        let (y, m, d) = (parts[0], parts[1], parts[2])
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return (era * 146_097 + doe - 719_468) * 86_400 + Int64(hour) * 3600
    }

    @discardableResult
    mutating func send(_ action: CaseloadCommand.Action, _ mrn: String, visit: VisitFacts? = nil, at: Int64) throws -> CaseloadDecision {
        let decision = try decider.decide(CaseloadCommand(action: action, patient: Ward.patient(mrn), visit: visit, at: at), in: state)
        state.apply(decision)
        state.recordAudit(AuditEntry(sequence: UInt64(decisions.count + 1), controlID: "MSG-\(decisions.count + 1)",
                                     messageType: "\(action)", at: decision.at, patientID: decision.patientID, changes: decision.changes))
        decisions.append(decision)
        return decision
    }

    func tasks(_ mrn: String, _ kind: CareTask.Kind) -> [CareTask] {
        state.tasks(of: "GHH:" + mrn).filter { $0.kind == kind }
    }
}

@Suite("a coordinator's week")
struct CoordinatorWeekTests {
    @Test func theWeekPlaysOutAsTheRulesSay() throws {
        var ward = Ward()
        // Monday 2026-11-30: admitted to 4WEST as an inpatient.
        let admit = Ward.at("2026-11-30", 8)
        try ward.send(.admit(.admit), "M1", visit: VisitFacts(visitNumber: "V1", patientClass: "I", location: "4WEST^401^A", admittedAt: admit), at: admit)
        let careCase = try #require(ward.state.openCase(of: "GHH:M1"))
        #expect(careCase.coordinatorID == "coord-a")  // least loaded in medicine, then by id
        let assessment = try #require(ward.tasks("M1", .initialAssessment).first)
        #expect(assessment.dueAt == admit + 24 * 3600)

        // Transfer to 5EAST: same case, new location, prior kept for A12.
        try ward.send(.transfer, "M1", visit: VisitFacts(visitNumber: "V1", location: "5EAST^510^B"), at: admit + 3600)
        #expect(ward.state.encounters["V1"]?.location == "5EAST^510^B")
        #expect(ward.state.encounters["V1"]?.priorLocation == "4WEST^401^A")

        // Thursday: discharged to home health (06) at 16:00.
        let discharge = Ward.at("2026-12-03", 16)
        try ward.send(.discharge, "M1", visit: VisitFacts(visitNumber: "V1", dischargedAt: discharge, dischargeDisposition: "06"), at: discharge)
        #expect(ward.state.encounters["V1"]?.status == .discharged)
        #expect(ward.tasks("M1", .initialAssessment).first?.status == .cancelled)
        let contact = try #require(ward.tasks("M1", .postDischargeContact).first)
        // Two business days after Thursday: Friday, then Monday (the weekend does not count).
        #expect(contact.dueAt == Ward.at("2026-12-07", 0) + 86_400 - 1)
        let followUp = try #require(ward.tasks("M1", .followUpAppointment).first)
        #expect(followUp.dueAt == discharge + 7 * 86_400 && followUp.status == .open)

        // Friday: follow-up booked → the task is satisfied by it.
        let booked = Ward.at("2026-12-04", 10)
        try ward.send(.appointment(.book, AppointmentFacts(id: "APT1", startsAt: Ward.at("2026-12-08", 15))), "M1", at: booked)
        let satisfied = try #require(ward.tasks("M1", .followUpAppointment).first)
        #expect(satisfied.status == .satisfied && satisfied.resolution.contains("APT1"))

        // The patient does not come: a reschedule task, due within two business days.
        let missed = Ward.at("2026-12-08", 16)
        try ward.send(.appointment(.noShow, AppointmentFacts(id: "APT1")), "M1", at: missed)
        #expect(ward.state.appointments["APT1"]?.status == .noShow)
        let reschedule = try #require(ward.tasks("M1", .reschedule).first)
        #expect(reschedule.dueAt == Ward.at("2026-12-10", 0) + 86_400 - 1)
        // A new booking satisfies the reschedule task.
        try ward.send(.appointment(.book, AppointmentFacts(id: "APT2", startsAt: Ward.at("2026-12-11", 9))), "M1", at: missed + 3600)
        #expect(ward.tasks("M1", .reschedule).first?.status == .satisfied)

        // Readmitted 12 days after the discharge: flagged, review task, same coordinator.
        let readmit = Ward.at("2026-12-15", 7)
        try ward.send(.admit(.admit), "M1", visit: VisitFacts(visitNumber: "V2", patientClass: "I", location: "4WEST^402^A", admittedAt: readmit), at: readmit)
        let current = try #require(ward.state.openCase(of: "GHH:M1"))
        #expect(current.riskFlags == ["readmission-30d"])
        #expect(current.coordinatorID == "coord-a")
        #expect(ward.tasks("M1", .readmissionReview).count == 1)
        // Every change is in the audit trail, naming the message that caused it.
        #expect(ward.state.history(of: "GHH:M1").count == ward.decisions.count)
        let sentences = ward.state.history(of: "GHH:M1").flatMap(\.changes)
        #expect(sentences.contains { $0.contains("readmission within 30 days") }, "\(sentences)")
    }

    @Test func assignmentFollowsCapacityThenTheQueue() throws {
        var ward = Ward()
        let t = Ward.at("2026-11-30", 8)
        for (index, mrn) in ["A", "B", "C", "D", "E"].enumerated() {
            try ward.send(.admit(.admit), mrn, visit: VisitFacts(visitNumber: "V\(mrn)", patientClass: "I", location: "4WEST^1"), at: t + Int64(index))
        }
        let owners = ["A", "B", "C", "D", "E"].map { ward.state.openCase(of: "GHH:" + $0)?.coordinatorID }
        // Medicine has two coordinators of capacity 2: A→a, B→b, C→a, D→b, then nobody in
        // medicine has room: the unassigned queue (the float team covers no named unit).
        #expect(owners == ["coord-a", "coord-b", "coord-a", "coord-b", nil])
        // Outpatients open no case.
        try ward.send(.admit(.register), "F", visit: VisitFacts(visitNumber: "VF", patientClass: "O", location: "CLINIC"), at: t + 10)
        #expect(ward.state.openCase(of: "GHH:F") == nil)
    }

    @Test func businessDaysSkipWeekendsAndHolidays() {
        let calendar = BusinessCalendar(holidays: ["2026-12-25"])
        // Wednesday 23 December + 2 business days: Thursday 24, (Friday 25 holiday, weekend), Monday 28.
        #expect(calendar.endOfBusinessDay(2, after: Ward.at("2026-12-23", 10)) == Ward.at("2026-12-28", 0) + 86_399)
        #expect(BusinessCalendar.date(ofDay: Ward.at("2026-12-25", 0) / 86_400) == "2026-12-25")
        // Local time: at UTC-05:00, 03:00Z on Saturday is still Friday.
        let eastern = BusinessCalendar(utcOffsetMinutes: -300)
        #expect(eastern.endOfBusinessDay(1, after: Ward.at("2026-12-05", 3)) == Ward.at("2026-12-07", 0) + 86_399 + 300 * 60)
    }
}
