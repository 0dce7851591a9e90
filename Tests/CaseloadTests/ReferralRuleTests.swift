// Outbound referrals made by the rules: a discharge to home health refers the patient once;
// cancelling the discharge withdraws it; a later discharge makes a new one under a new id.
import Caseload
import Testing

@Suite("referral rules")
struct ReferralRuleTests {
    let t = Ward.at("2026-11-30", 8)

    func admitAndDischarge(_ ward: inout Ward, disposition: String) throws -> CaseloadDecision {
        try ward.send(.admit(.admit), "M1", visit: VisitFacts(visitNumber: "V1", patientClass: "I", location: "4WEST", admittedAt: t), at: t)
        return try ward.send(.discharge, "M1", visit: VisitFacts(visitNumber: "V1", dischargedAt: t + 86_400, dischargeDisposition: disposition),
                             at: t + 86_400)
    }

    @Test func aDischargeToHomeHealthRefersThePatientToHomeHealth() throws {
        var ward = Ward()
        let decision = try admitAndDischarge(&ward, disposition: "06")
        #expect(decision.referralMessages == [ReferralMessageRequest(.newReferral, referralID: "OUT-V1-home-health")])
        let referral = try #require(ward.state.referrals["OUT-V1-home-health"])
        #expect(referral.direction == .outbound && referral.partner == "home-health" && referral.status == .pending)
        #expect(referral.source == "V1" && referral.type == "Hom" && referral.priority == "R")
        #expect(decision.changes.contains { $0.contains("referral OUT-V1-home-health to home-health made") })
    }

    @Test func otherDispositionsMakeNoReferral() throws {
        for disposition in ["01", "", "03"] {
            var ward = Ward()
            let decision = try admitAndDischarge(&ward, disposition: disposition)
            #expect(decision.referralMessages.isEmpty, "\(disposition)")
            #expect(ward.state.referrals.count == 0)
        }
    }

    @Test func aRepeatedDischargeDoesNotReferAgain() throws {
        var ward = Ward()
        try admitAndDischarge(&ward, disposition: "06")
        let again = try ward.send(.discharge, "M1", visit: VisitFacts(visitNumber: "V1", dischargeDisposition: "06"), at: t + 90_000)
        #expect(again.referralMessages.isEmpty)
        #expect(ward.state.referrals.count == 1)
    }

    @Test func aCorrectedDispositionOnARepeatedDischargeRefers() throws {
        var ward = Ward()
        try admitAndDischarge(&ward, disposition: "01")
        let corrected = try ward.send(.discharge, "M1", visit: VisitFacts(visitNumber: "V1", dischargeDisposition: "06"), at: t + 90_000)
        #expect(corrected.referralMessages.map(\.kind) == [.newReferral])
    }

    @Test func aDispositionCorrectedAwayFromHomeHealthWithdrawsTheReferral() throws {
        var ward = Ward()
        try admitAndDischarge(&ward, disposition: "06")
        let corrected = try ward.send(.discharge, "M1", visit: VisitFacts(visitNumber: "V1", dischargeDisposition: "01"), at: t + 90_000)
        #expect(corrected.referralMessages == [ReferralMessageRequest(.cancellation, referralID: "OUT-V1-home-health")])
        #expect(ward.state.referrals["OUT-V1-home-health"]?.status == .cancelled)
        // The same disposition again changes nothing.
        let same = try ward.send(.discharge, "M1", visit: VisitFacts(visitNumber: "V1", dischargeDisposition: "01"), at: t + 90_060)
        #expect(same.referralMessages.isEmpty)
    }

    @Test func cancellingTheDischargeWithdrawsTheReferralAndADischargeAfterMakesANewOne() throws {
        var ward = Ward()
        try admitAndDischarge(&ward, disposition: "06")
        let cancel = try ward.send(.cancelDischarge, "M1", visit: VisitFacts(visitNumber: "V1"), at: t + 90_000)
        #expect(cancel.referralMessages == [ReferralMessageRequest(.cancellation, referralID: "OUT-V1-home-health")])
        #expect(ward.state.referrals["OUT-V1-home-health"]?.status == .cancelled)
        // Discharged again: a new referral, never the withdrawn id again.
        let again = try ward.send(.discharge, "M1", visit: VisitFacts(visitNumber: "V1", dischargedAt: t + 2 * 86_400, dischargeDisposition: "06"),
                                  at: t + 2 * 86_400)
        #expect(again.referralMessages == [ReferralMessageRequest(.newReferral, referralID: "OUT-V1-home-health#2")])
        #expect(ward.state.referrals["OUT-V1-home-health"]?.status == .cancelled)
        #expect(ward.state.referrals["OUT-V1-home-health#2"]?.status == .pending)
    }

    @Test func configuredRulesReplaceTheDefault() throws {
        var rules = Ward.rules
        rules.referralRules = [
            ReferralRule(dispositions: ["03"], destination: "snf", priority: "A", type: "Med", reason: "Skilled nursing"),
            ReferralRule(dispositions: ["03", "06"], destination: "pharmacy", reason: "Medication review"),
        ]
        var ward = Ward(rules: rules)
        let decision = try admitAndDischarge(&ward, disposition: "03")
        #expect(decision.referralMessages.map(\.referralID) == ["OUT-V1-snf", "OUT-V1-pharmacy"])
        #expect(ward.state.referrals["OUT-V1-snf"]?.priority == "A")
        var none = Ward(rules: { var r = Ward.rules; r.referralRules = []; return r }())
        #expect(try admitAndDischarge(&none, disposition: "06").referralMessages.isEmpty)
    }

    @Test func anAnswerFromThePartnerUpdatesOurReferral() throws {
        var ward = Ward()
        try admitAndDischarge(&ward, disposition: "06")
        let facts = ReferralFacts(id: "OUT-V1-home-health", statusCode: "A", externalID: "HH-778")
        try ward.send(.referralResponse(facts, partner: "HOMEHEALTH"), "M1", at: t + 90_000)
        let referral = try #require(ward.state.referrals["OUT-V1-home-health"])
        #expect(referral.status == .accepted && referral.partnerReference == "HH-778" && referral.direction == .outbound)
    }
}
