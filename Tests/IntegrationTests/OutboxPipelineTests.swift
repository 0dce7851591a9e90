// The transactional outbox through the pipeline: the REF^I12 is stored in the discharge's own
// append, delivery progress and operator actions are journaled, a restart or a snapshot gives
// back the same outbox, and a failed outbox append rebuilds it from the journal.
import Caseload
import CaseloadStore
import HL7
import HL7XML
import Integration
import Journal
import Outbox
import SwitchboardTestSupport
import SystemPackage
import Testing

@Suite("outbox through the pipeline")
struct OutboxPipelineTests {
    /// Milliseconds: the harness's clock (entries are created at t0).
    let t0 = PipelineHarness.fixedNow / 1000

    static func admit(_ id: String = "A01-1") -> String {
        adt(controlID: id, body: "PID|1||12345^^^HOSP^MR||SYNTHETIC^PAT\rPV1|1|I|WARD1^101^A" + String(repeating: "|", count: 16) + "V1")
    }

    static func discharge(_ id: String = "A03-1", disposition: String = "06") -> String {
        var pv1 = Array(repeating: "", count: 37)
        pv1[0] = "PV1"; pv1[1] = "1"; pv1[2] = "I"; pv1[3] = "WARD1^101^A"; pv1[19] = "V1"; pv1[36] = disposition
        return adt(controlID: id, type: "ADT^A03^ADT_A03",
                   body: "PID|1||12345^^^HOSP^MR||SYNTHETIC^PAT\r" + pv1.joined(separator: "|") + "\rDG1|1||I50.9^Heart failure^I10|||F")
    }

    static func admitAndDischarge(_ harness: PipelineHarness) async throws {
        #expect(await harness.process(admit()).ackCode == "AA")
        #expect(await harness.process(discharge()).ackCode == "AA")
    }

    @Test func theReferralMessageIsStoredInTheDischargesOwnAppend() async throws {
        let harness = try await PipelineHarness.make(withCaseload: true)
        try await Self.admitAndDischarge(harness)
        let records = try await harness.records()
        #expect(records[0].outbound.isEmpty)
        let entry = try #require(records[1].outbound.first)
        #expect(records[1].outbound.count == 1 && entry.id == "O-1" && entry.destination == "home-health")
        // The stored bytes are the REF^I12, with the stored MSH-10, naming the stored referral.
        let message = try HL7Message(parsing: entry.payload)
        #expect(message.header.messageCode == "REF" && message.header.triggerEvent == "I12")
        #expect(message.header.controlID == entry.controlID)
        #expect(message.text(at: "RF1-6") == "OUT-V1-home-health")
        #expect(message.text(at: "PV1-19") == "V1" && message.text(at: "PV1-36") == "06")
        #expect(message.text(at: "DG1-3.1") == "I50.9" && message.text(at: "DG1-6") == "F")  // the discharge's diagnosis
        guard case .referral(let referral)? = records[1].caseload?.events.first(where: { if case .referral = $0 { true } else { false } })
        else { Issue.record("no referral event in the same record"); return }
        #expect(referral.id == "OUT-V1-home-health" && referral.source == "V1")
        // Live: queued once the record was durable.
        let engine = try #require(harness.pipeline.caseload)
        #expect(engine.readOutbox { $0.queues["home-health"]?.open.map(\.id) } == ["O-1"])
        // A resend of the discharge is a duplicate: no second referral, no second entry.
        #expect(await harness.process(Self.discharge()).duplicate)
        #expect(engine.readOutbox { $0.depth } == 1)
    }

    @Test func aDestinationAskingForXMLGetsHL7v2XMLAddressedAsConfigured() async throws {
        var outbound = OutboundSettings()
        outbound.sendingFacility = "GHH"
        outbound.destinations["home-health"] = OutboundAddressing(receivingApplication: "HHA", receivingFacility: "VNS", encoding: .xml)
        let harness = try await PipelineHarness.make(withCaseload: true, outbound: outbound)
        try await Self.admitAndDischarge(harness)
        let entry = try #require(try await harness.records()[1].outbound.first)
        #expect(HL7XMLReader.looksLikeXML(entry.payload))
        let message = try HL7XMLReader.message(entry.payload)
        #expect(message.header.messageCode == "REF" && message.header.triggerEvent == "I12" && message.header.controlID == entry.controlID)
        #expect(message.header.sendingFacility == "GHH" && message.header.receivingApplication == "HHA" && message.header.receivingFacility == "VNS")
        #expect(message.text(at: "RF1-6") == "OUT-V1-home-health")
    }

    @Test func deliveryProgressIsJournaledAndARestartResumesWithTheSameMessage() async throws {
        let harness = try await PipelineHarness.make(withCaseload: true)
        try await Self.admitAndDischarge(harness)
        let engine = try #require(harness.pipeline.caseload)
        let sent = try #require(engine.startAttempt(for: "home-health", now: t0 + 1_000))
        #expect(engine.finishAttempt(for: "home-health", entryID: sent.id, answer: .ack(code: "AR", controlID: sent.controlID), policy: DeliveryPolicy(), now: t0 + 1_001, random: 0.5) != nil)
        // The next attempt starts, then the daemon "crashes" before the answer.
        let again = try #require(engine.startAttempt(for: "home-health", now: t0 + 900_000))
        #expect(again.controlID == sent.controlID && again.attempts == 2)
        try await harness.journal.heartbeat()
        #expect(try await harness.outboxRecords().map(\.change.entryID) == ["O-1", "O-1", "O-1"])

        let restarted = try await harness.restarted()
        let engine2 = try #require(restarted.pipeline.caseload)
        let entry = try #require(engine2.readOutbox { $0.queues["home-health"]?.open.first })
        // Counted, not in flight, same bytes and MSH-10: sent again as it was.
        #expect(entry.attempts == 2 && entry.controlID == sent.controlID && entry.payload == sent.payload)
        #expect(engine2.readOutbox { $0.queues["home-health"]?.inFlight } == nil)
        #expect(engine2.nextStep(for: "home-health", now: t0 + 10_000_000) == .send(entry))
        let resent = try #require(engine2.startAttempt(for: "home-health", now: t0 + 10_000_000))
        #expect(engine2.finishAttempt(for: "home-health", entryID: resent.id, answer: .ack(code: "AA", controlID: resent.controlID), policy: DeliveryPolicy(), now: t0 + 10_000_001, random: 0) != nil)
        #expect(engine2.readOutbox { $0.depth } == 0)
        // Entries made after the restart continue the numbering.
        #expect(await restarted.process(Self.admit("A01-2")).ackCode == "AA")
        #expect(engine2.readOutbox { $0.nextNumber } == 2)
    }

    @Test func operatorsRetryDeadLettersAndDropEntriesThroughTheJournal() async throws {
        let harness = try await PipelineHarness.make(withCaseload: true)
        try await Self.admitAndDischarge(harness)
        let engine = try #require(harness.pipeline.caseload)
        let sent = try #require(engine.startAttempt(for: "home-health", now: t0 + 1_000))
        _ = engine.finishAttempt(for: "home-health", entryID: sent.id, answer: .ack(code: "AE", controlID: sent.controlID), policy: DeliveryPolicy(), now: t0 + 1_001, random: 0)
        #expect(engine.nextStep(for: "home-health", now: t0 + 2_000) == .idle)  // a dead letter blocks the queue
        await #expect(throws: CaseloadEngine.OutboxActionFailure.refused(.unknownEntry("O-99"))) {
            try await engine.retryOutboxEntry("O-99", by: "ops", now: t0 + 2_000)
        }
        let retried = try await engine.retryOutboxEntry("O-1", by: "ops-jane", now: t0 + 2_000)
        #expect(retried == .retried(id: "O-1", at: t0 + 2_000))
        #expect(engine.readOutbox { $0.queues["home-health"]?.open.first?.status } == .pending)
        _ = try await engine.dropOutboxEntry("O-1", by: "ops-jane", now: t0 + 3_000)
        await #expect(throws: CaseloadEngine.OutboxActionFailure.self) { try await engine.dropOutboxEntry("O-1", by: "ops-jane", now: t0 + 3_001) }
        let actors = try await harness.outboxRecords().map(\.actor)
        #expect(actors == ["", "", "ops-jane", "ops-jane"])
        let restarted = try await harness.restarted()
        #expect(try #require(restarted.pipeline.caseload).readOutbox { $0.entry("O-1")?.status } == .dropped)
    }

    @Test func theConfiguredPolicyDecidesWhenAMessageIsDeadLettered() async throws {
        let harness = try await PipelineHarness.make(withCaseload: true)
        try await Self.admitAndDischarge(harness)
        let engine = try #require(harness.pipeline.caseload)
        var policy = DeliveryPolicy()
        policy.maxAttempts = 2
        var now = t0 + 1_000
        for _ in 1...2 {
            let sent = try #require(engine.startAttempt(for: "home-health", now: now))
            _ = engine.finishAttempt(for: "home-health", entryID: sent.id, answer: .ack(code: "AR", controlID: sent.controlID), policy: policy,
                                     now: now, random: 0)
            now += 10_000_000
        }
        #expect(engine.readOutbox { $0.queues["home-health"]?.open.first?.status } == .deadLettered)
        #expect(engine.readOutbox { $0.queues["home-health"]?.open.first?.lastOutcome.contains("2 attempts used") } == true)
    }

    @Test func aSnapshotHoldsTheOutboxOfItsJournalPrefix() async throws {
        let harness = try await PipelineHarness.make(withCaseload: true)
        try await Self.admitAndDischarge(harness)
        let engine = try #require(harness.pipeline.caseload)
        _ = engine.startAttempt(for: "home-health", now: t0 + 1_000)
        let captured = try #require(await engine.captureForSnapshot { harness.journal.lastDurableSequence })
        var replayed = StoreState()
        for record in try await harness.journal.records(from: 1, limit: .max) where record.sequence <= captured.sequence {
            replayed.apply(payload: record.payload, sequence: record.sequence)
        }
        #expect(captured.sequence == 3)
        #expect(captured.state.outbox == replayed.outbox)
        try await harness.journal.heartbeat()
        try await harness.store.storeSnapshot(of: captured.state, through: captured.sequence)
        let restarted = try await harness.restarted()
        #expect(restarted.store.snapshotSequence == 3)
        var expected = replayed.outbox
        expected.resetInFlight()
        #expect(try #require(restarted.pipeline.caseload).readOutbox { $0 } == expected)
    }

    @Test func aFailedOutboxAppendRebuildsTheOutboxFromTheJournal() async throws {
        // Writes 1 and 2 are the admission and the discharge; write 3, the attempt, fails.
        let harness = try await PipelineHarness.make(rules: [FaultRule(.write, nth: 3, errno: .noSpace, pathContains: "segment-")], withCaseload: true)
        try await Self.admitAndDischarge(harness)
        let engine = try #require(harness.pipeline.caseload)
        #expect(engine.startAttempt(for: "home-health", now: t0 + 1_000)?.attempts == 1)
        try? await harness.journal.heartbeat()  // the failed append has completed (its failure seen)
        await engine.waitUntilAvailable()
        #expect(try await harness.outboxRecords().isEmpty)
        // Rebuilt from the journal: the attempt that was never stored is not counted.
        let entry = try #require(engine.readOutbox { $0.queues["home-health"]?.open.first })
        #expect(entry.attempts == 0)
        #expect(engine.nextStep(for: "home-health", now: t0 + 2_000) == .send(entry))
    }
}
