// The quality report from a ward's fortnight: contacts made in time, late and not at all, a
// readmission, and coordinators' open cases and overdue tasks; and what completing a task may
// and may not do.
import Caseload
import CaseloadStore
import Testing

@Suite("quality report and coordinator actions")
struct QualityReportTests {
    /// Admits `mrn` to 4WEST on `day` at 08:00 and discharges at 16:00 `stay` days later.
    static func stay(_ ward: inout Ward, _ mrn: String, visit: String, admitted day: String, days stay: Int64) throws -> Int64 {
        let admit = Ward.at(day, 8)
        try ward.send(.admit(.admit), mrn, visit: VisitFacts(visitNumber: visit, patientClass: "I", location: "4WEST^1", admittedAt: admit), at: admit)
        let discharge = admit + stay * 86_400 + 8 * 3600
        try ward.send(.discharge, mrn, visit: VisitFacts(visitNumber: visit, dischargedAt: discharge, dischargeDisposition: "01"), at: discharge)
        return discharge
    }

    static func complete(_ ward: inout Ward, _ task: CareTask, by actor: String = "coord-a", at: Int64) throws {
        let decision = try ward.decider.decide(CoordinatorAction(kind: .completeTask, taskID: task.id, actor: actor, note: "called", at: at), in: ward.state)
        ward.state.apply(decision)
    }

    @Test func theFiguresACareLeadAsksFor() throws {
        var ward = Ward()
        // Three discharges on Tuesday 2026-12-01; contacts due by the end of Thursday.
        _ = try Self.stay(&ward, "M1", visit: "V1", admitted: "2026-11-30", days: 1)
        _ = try Self.stay(&ward, "M2", visit: "V2", admitted: "2026-11-30", days: 1)
        _ = try Self.stay(&ward, "M3", visit: "V3", admitted: "2026-11-30", days: 1)
        let due = try #require(ward.tasks("M1", .postDischargeContact).first).dueAt
        #expect(due == Ward.at("2026-12-03", 0) + 86_400 - 1)
        try Self.complete(&ward, try #require(ward.tasks("M1", .postDischargeContact).first), at: Ward.at("2026-12-02", 11))
        try Self.complete(&ward, try #require(ward.tasks("M2", .postDischargeContact).first), at: Ward.at("2026-12-04", 11))
        // M3 is never called. M1 comes back on 2026-12-10: a readmission within 30 days.
        let readmit = Ward.at("2026-12-10", 9)
        try ward.send(.admit(.admit), "M1", visit: VisitFacts(visitNumber: "V4", patientClass: "I", location: "4WEST^1", admittedAt: readmit), at: readmit)

        let now = Ward.at("2026-12-11", 12)
        let report = QualityReport(state: ward.state, rules: Ward.rules, now: now, since: Ward.at("2026-11-15", 0))
        #expect(report.dischargeContacts.discharges == 3)
        #expect(report.dischargeContacts.contactedInTime == 1)
        #expect(report.dischargeContacts.contactedLate == 1)
        #expect(report.dischargeContacts.notContacted == 1)
        #expect(report.dischargeContacts.shareInTime == 1.0 / 3.0)
        #expect(report.readmissions.discharges == 3 && report.readmissions.readmissions == 1 && report.readmissions.windowDays == 30)
        // M1's readmission case is open; the earlier cases stay open until closed by the team.
        #expect(report.openCases == ward.state.cases.values.filter { $0.status == .open }.count)
        let loads = Dictionary(uniqueKeysWithValues: report.coordinators.map { ($0.id, $0) })
        #expect(loads["coord-a"]?.openCases == ward.state.openCaseCount(of: "coord-a"))
        // Overdue: M3's contact, three follow-up appointments never booked (due 7 days after the discharges).
        #expect(report.overdueTasksByKind["post-discharge-contact"] == 1)
        #expect(report.overdueTasksByKind["follow-up-appointment"] == 3)
        #expect(report.overdueTasks == report.overdueTasksByKind.values.reduce(0, +))
        #expect(report.coordinators.map(\.overdueTasks).reduce(0, +) <= report.overdueTasks)

        // A period that starts after the discharges counts none of them.
        let later = QualityReport(state: ward.state, rules: Ward.rules, now: now, since: Ward.at("2026-12-05", 0))
        #expect(later.dischargeContacts.discharges == 0 && later.dischargeContacts.shareInTime == nil)
        #expect(later.readmissions.readmissions == 1 && later.readmissions.rate == nil)
    }

    @Test func completingATaskIsRefusedWhenItCannotApply() throws {
        var ward = Ward()
        _ = try Self.stay(&ward, "M1", visit: "V1", admitted: "2026-11-30", days: 1)
        let contact = try #require(ward.tasks("M1", .postDischargeContact).first)
        let at = Ward.at("2026-12-02", 9)
        #expect(throws: CoordinatorActionError.unknownTask("T-999")) {
            try ward.decider.decide(CoordinatorAction(kind: .completeTask, taskID: "T-999", actor: "coord-a", at: at), in: ward.state)
        }
        #expect(throws: CoordinatorActionError.missingActor) {
            try ward.decider.decide(CoordinatorAction(kind: .completeTask, taskID: contact.id, actor: "", at: at), in: ward.state)
        }
        try Self.complete(&ward, contact, at: at)
        let done = try #require(ward.state.tasks[contact.id])
        #expect(done.status == .satisfied && done.resolution == "completed by coord-a: called" && done.resolvedAt == at)
        #expect(throws: CoordinatorActionError.notOpen(contact.id, .satisfied)) {
            try ward.decider.decide(CoordinatorAction(kind: .completeTask, taskID: contact.id, actor: "coord-a", at: at), in: ward.state)
        }
    }

    @Test func anActionRecordReplaysToTheSameCaseload() throws {
        var ward = Ward()
        _ = try Self.stay(&ward, "M1", visit: "V1", admitted: "2026-11-30", days: 1)
        let contact = try #require(ward.tasks("M1", .postDischargeContact).first)
        let action = CoordinatorAction(kind: .completeTask, taskID: contact.id, actor: "coord-a", note: "called", at: Ward.at("2026-12-02", 9))
        let decision = try ward.decider.decide(action, in: ward.state)
        let record = ActionRecord(recordedAtMicroseconds: 1, peer: "127.0.0.1:5", action: action, decision: decision)
        let payload = ActionRecordCodec.encode(record)
        #expect(try ActionRecordCodec.decode(payload) == record)
        var replayed = StoreState(caseload: ward.state)
        let applied = replayed.apply(payload: payload, sequence: 99)
        #expect(applied)
        #expect(replayed.caseload.tasks[contact.id]?.status == .satisfied)
        #expect(replayed.caseload.audit.last?.messageType == "ACTION^COMPLETE-TASK" && replayed.caseload.audit.last?.sequence == 99)
        let newer = replayed.apply(payload: [0x41, 9], sequence: 100)
        #expect(!newer)  // a newer version: skipped, reported
    }
}
