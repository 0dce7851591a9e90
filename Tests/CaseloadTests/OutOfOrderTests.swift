// Late and out-of-order messages: the decided behaviour of docs/DOMAIN.md, case by case.
import Caseload
import Testing

@Suite("late and out-of-order messages")
struct OutOfOrderTests {
    let t = Ward.at("2026-11-30", 8)

    @Test func dischargeBeforeAdmitCreatesADischargedEncounterAndTheLateAdmitKeepsIt() throws {
        var ward = Ward()
        try ward.send(.discharge, "M1", visit: VisitFacts(visitNumber: "V1", patientClass: "I", location: "4WEST", dischargedAt: t), at: t)
        #expect(ward.state.encounters["V1"]?.status == .discharged)
        #expect(ward.tasks("M1", .postDischargeContact).count == 1)
        #expect(ward.tasks("M1", .initialAssessment).isEmpty)
        try ward.send(.admit(.admit), "M1", visit: VisitFacts(visitNumber: "V1", patientClass: "I", location: "4WEST", admittedAt: t - 86_400), at: t - 86_400)
        #expect(ward.state.encounters["V1"]?.status == .discharged)
        #expect(ward.state.encounters["V1"]?.admittedAt == t - 86_400)
        #expect(ward.tasks("M1", .initialAssessment).isEmpty)
    }

    @Test func anUpdateForAnUnknownPatientRegistersThem() throws {
        var ward = Ward()
        try ward.send(.update, "NEW", at: t)
        #expect(ward.state.patients["GHH:NEW"]?.familyName == "SYNTHETIC")
    }

    @Test func cancellingADischargeAfterAReadmissionIsIgnored() throws {
        var ward = Ward()
        try ward.send(.admit(.admit), "M1", visit: VisitFacts(visitNumber: "V1", patientClass: "I", location: "4WEST", admittedAt: t), at: t)
        try ward.send(.discharge, "M1", visit: VisitFacts(visitNumber: "V1", dischargedAt: t + 86_400), at: t + 86_400)
        try ward.send(.admit(.admit), "M1", visit: VisitFacts(visitNumber: "V2", patientClass: "I", location: "4WEST", admittedAt: t + 5 * 86_400), at: t + 5 * 86_400)
        let decision = try ward.send(.cancelDischarge, "M1", visit: VisitFacts(visitNumber: "V1"), at: t + 6 * 86_400)
        #expect(decision.events.isEmpty)
        #expect(decision.changes.contains { $0.contains("ignored") })
        #expect(ward.state.encounters["V1"]?.status == .discharged)
    }

    @Test func cancellingADischargeCancelsItsTasks() throws {
        var ward = Ward()
        try ward.send(.admit(.admit), "M1", visit: VisitFacts(visitNumber: "V1", patientClass: "I", location: "4WEST", admittedAt: t), at: t)
        try ward.send(.discharge, "M1", visit: VisitFacts(visitNumber: "V1", dischargedAt: t + 86_400), at: t + 86_400)
        try ward.send(.cancelDischarge, "M1", visit: VisitFacts(visitNumber: "V1"), at: t + 90_000)
        #expect(ward.state.encounters["V1"]?.status == .active)
        #expect(ward.tasks("M1", .postDischargeContact).allSatisfy { $0.status == .cancelled })
        #expect(ward.tasks("M1", .followUpAppointment).allSatisfy { $0.status == .cancelled })
    }

    @Test func cancellingTheAdmissionCancelsTheCaseItOpened() throws {
        var ward = Ward()
        try ward.send(.admit(.admit), "M1", visit: VisitFacts(visitNumber: "V1", patientClass: "I", location: "4WEST", admittedAt: t), at: t)
        try ward.send(.cancelAdmit, "M1", visit: VisitFacts(visitNumber: "V1"), at: t + 600)
        #expect(ward.state.encounters["V1"]?.status == .cancelled)
        #expect(ward.state.cases["C-1"]?.status == .cancelled)
        #expect(ward.state.openCaseCount(of: "coord-a") == 0)
    }

    @Test func aMergeOfTwoPatientsWithOpenCasesKeepsTheSurvivorsCase() throws {
        var ward = Ward()
        try ward.send(.admit(.admit), "OLD", visit: VisitFacts(visitNumber: "V1", patientClass: "I", location: "4WEST", admittedAt: t), at: t)
        try ward.send(.admit(.admit), "NEW", visit: VisitFacts(visitNumber: "V2", patientClass: "I", location: "4WEST", admittedAt: t + 60), at: t + 60)
        try ward.send(.merge(prior: [PatientIdentifier(value: "OLD", authority: "GHH", type: "MR")]), "NEW", at: t + 120)
        #expect(ward.state.patients["GHH:OLD"]?.mergedInto == "GHH:NEW")
        #expect(ward.state.patient(matching: "GHH:OLD")?.id == "GHH:NEW")
        let open = ward.state.cases(of: "GHH:NEW").filter { $0.status == .open }
        #expect(open.count == 1)
        #expect(open.first?.encounterIDs.sorted() == ["V1", "V2"])
        #expect(ward.state.cases["C-1"]?.closeReason == "merged into C-2")
        #expect(ward.state.tasks.values.filter { $0.status == .open }.allSatisfy { $0.patientID == "GHH:NEW" && $0.caseID == "C-2" })
        #expect(ward.state.openCaseCount(of: "coord-a") + ward.state.openCaseCount(of: "coord-b") == 1)
    }

    @Test func referralsFollowTheirLifecycleInAnyOrder() throws {
        var ward = Ward()
        try ward.send(.referral(.cancel, ReferralFacts(id: "R1"), partner: "HOSPICE"), "M1", at: t)
        try ward.send(.referral(.new, ReferralFacts(id: "R1", statusCode: "P"), partner: "HOSPICE"), "M1", at: t + 1)
        #expect(ward.state.referrals["R1"]?.status == .cancelled)
        try ward.send(.referralResponse(ReferralFacts(id: "OUT1", statusCode: "A", externalID: "HH-77"), partner: "HOMEHEALTH"), "M1", at: t + 2)
        #expect(ward.state.referrals["OUT1"]?.status == .accepted)
        #expect(ward.state.referrals["OUT1"]?.partnerReference == "HH-77")
    }

    @Test func aBareIdentifierNamesAPatientOnlyWhenUnambiguous() throws {
        var ward = Ward()
        try ward.send(.update, "M1", at: t)
        #expect(ward.state.patient(matching: "M1")?.id == "GHH:M1")
        let other = PatientFacts(identifiers: [PatientIdentifier(value: "M1", authority: "OTHER", type: "MR")])
        let decision = try ward.decider.decide(CaseloadCommand(action: .update, patient: other, at: t + 1), in: ward.state)
        ward.state.apply(decision)
        #expect(ward.state.patient(matching: "M1") == nil)
        #expect(ward.state.patient(matching: "OTHER:M1")?.id == "OTHER:M1")
        // After a merge the bare value names the survivor again.
        try ward.send(.merge(prior: [PatientIdentifier(value: "M1", authority: "OTHER", type: "MR")]), "M1", at: t + 2)
        #expect(ward.state.patient(matching: "OTHER:M1")?.id == "GHH:M1")
    }
}
