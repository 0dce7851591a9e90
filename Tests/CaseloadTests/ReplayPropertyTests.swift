// The caseload is a projection: replaying the events of any prefix and then the rest gives
// the state the decisions built, and the canonical hash cannot tell them apart.
import Caseload
import CaseloadStore
import SwitchboardTestSupport
import Testing

@Suite("replay")
struct ReplayPropertyTests {
    /// A random but reproducible stream of commands over a few patients.
    static func stream(seed: UInt64, count: Int) -> [(CaseloadCommand.Action, String, VisitFacts?, Int64)] {
        var random = SeededGenerator(seed: seed)
        var time = Ward.at("2026-11-02", 8)
        var result: [(CaseloadCommand.Action, String, VisitFacts?, Int64)] = []
        for _ in 0..<count {
            time += Int64.random(in: 600...86_400, using: &random)
            let mrn = "P\(Int.random(in: 1...6, using: &random))"
            let visit = VisitFacts(visitNumber: "\(mrn)-V\(Int.random(in: 1...3, using: &random))", patientClass: ["I", "O", "E"].randomElement(using: &random)!,
                                   location: ["4WEST^1", "5EAST^2", "CLINIC"].randomElement(using: &random)!, admittedAt: time,
                                   dischargedAt: time, dischargeDisposition: "01")
            let actions: [CaseloadCommand.Action] = [
                .admit(.admit), .admit(.register), .admit(.preadmit), .transfer, .discharge, .update, .cancelAdmit, .cancelTransfer,
                .cancelDischarge, .changeClass,
                .merge(prior: [PatientIdentifier(value: "P\(Int.random(in: 1...6, using: &random))", authority: "GHH", type: "MR")]),
                .appointment([.book, .reschedule, .cancel, .noShow].randomElement(using: &random)!, AppointmentFacts(id: "A\(Int.random(in: 1...5, using: &random))", startsAt: time + 86_400)),
                .referral(.new, ReferralFacts(id: "R\(Int.random(in: 1...3, using: &random))"), partner: "P"),
            ]
            result.append((actions.randomElement(using: &random)!, mrn, visit, time))
        }
        return result
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func replayingAnyPrefixThenTheRestEqualsTheLiveState(seed: UInt64) throws {
        var ward = Ward()
        for (action, mrn, visit, time) in Self.stream(seed: seed, count: 300) {
            try ward.send(action, mrn, visit: visit, at: time)
        }
        let liveHash = ward.state.canonicalHash
        let cut = Int(seed * 37 % 300)
        var replayed = CaseloadState()
        for (index, decision) in ward.decisions.enumerated() where index < cut { replayed.apply(decision); replayed.recordAudit(ward.state.audit[index]) }
        for (index, decision) in ward.decisions.enumerated() where index >= cut { replayed.apply(decision); replayed.recordAudit(ward.state.audit[index]) }
        #expect(replayed.canonicalHash == liveHash)
        // Open-case counts per coordinator agree with the cases themselves.
        for coordinator in Ward.rules.coordinators {
            let counted = ward.state.cases.values.filter { $0.status == .open && $0.coordinatorID == coordinator.id }.count
            #expect(ward.state.openCaseCount(of: coordinator.id) == counted)
            #expect(counted <= coordinator.capacity)
        }
    }

    @Test func eventsSurviveTheRecordCodec() throws {
        var ward = Ward()
        for (action, mrn, visit, time) in Self.stream(seed: 9, count: 200) { try ward.send(action, mrn, visit: visit, at: time) }
        var replayed = CaseloadState()
        for (index, decision) in ward.decisions.enumerated() {
            let record = InboundRecord(receivedAtMicroseconds: 0, listener: "mllp", peer: "127.0.0.1:1", disposition: .accepted, encoding: .er7,
                                       sendingApplication: "A", sendingFacility: "F", controlID: ward.state.audit[index].controlID,
                                       messageType: ward.state.audit[index].messageType, ackCode: "AA", contentHash: 0, ack: [], raw: [],
                                       caseload: decision)
            let decoded = try InboundRecordCodec.decode(InboundRecordCodec.encode(record))
            #expect(decoded.caseload == decision)
            replayed.apply(decoded, sequence: UInt64(index + 1))
        }
        #expect(replayed.canonicalHash == ward.state.canonicalHash)
    }
}
