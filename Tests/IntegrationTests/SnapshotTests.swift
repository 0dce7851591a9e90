// Snapshots of the store through the real pipeline: taken while appends are in flight, written
// with faults at every step, and read back at a restart (snapshot + tail == full replay).
import Caseload
import CaseloadStore
import Integration
import Journal
import SwitchboardTestSupport
import SystemPackage
import Testing

@Suite("store snapshots")
struct SnapshotTests {
    /// An admission for patient `n` (synthetic), one visit each.
    static func admission(_ n: Int) -> String {
        adt(controlID: "ADM-\(n)", body: "PID|1||MRN\(n)^^^HOSP^MR||SYNTHETIC^PAT\(n)\rPV1|1|I|WARD1^101^A")
    }

    static func sendAll(_ harness: PipelineHarness, _ range: Range<Int>) async -> [InboundResult] {
        await withTaskGroup(of: InboundResult.self) { group in
            for n in range { group.addTask { await harness.process(admission(n), peer: "127.0.0.1:\(6000 + n % 8)") } }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Replays the journal's records up to `limit` into a fresh caseload.
    static func replay(_ harness: PipelineHarness, through limit: UInt64 = .max) async throws -> CaseloadState {
        var state = CaseloadState()
        for record in try await harness.journal.records(from: 1, limit: .max) where record.sequence <= limit {
            state.apply(try InboundRecordCodec.decode(record.payload), sequence: record.sequence)
        }
        return state
    }

    @Test func aSnapshotTakenWhileAppendsAreInFlightIsAJournalPrefix() async throws {
        let harness = try await PipelineHarness.make(syncDelayMicroseconds: 3_000, withCaseload: true)
        let engine = try #require(harness.pipeline.caseload)
        async let traffic = Self.sendAll(harness, 0..<80)
        // Capture once some records are durable and (with a 3 ms fsync) more are in flight.
        while harness.journal.lastDurableSequence < 10 { try await Task.sleep(for: .milliseconds(1)) }
        let captured = try #require(await engine.captureForSnapshot { harness.journal.lastDurableSequence })
        try await harness.journal.heartbeat()
        try await harness.store.storeSnapshot(of: captured.state, through: captured.sequence)
        let results = await traffic
        #expect(results.allSatisfy { $0.ackCode == "AA" })

        // The copy is exactly the caseload of the records up to its sequence.
        #expect(captured.sequence >= 1)
        #expect(captured.state.caseload.canonicalHash == (try await Self.replay(harness, through: captured.sequence)).canonicalHash)

        // A restart reads snapshot + tail: the live caseload, which a full replay also gives.
        let live = engine.read { $0.canonicalHash }
        #expect(live == (try await Self.replay(harness)).canonicalHash)
        let restarted = try await harness.restarted()
        #expect(restarted.store.snapshotSequence == captured.sequence)
        #expect(restarted.pipeline.caseload?.read { $0.canonicalHash } == live)
        #expect(restarted.pipeline.caseload?.read { $0.patients.count } == 80)
        // Resends from before and after the snapshot are still duplicates.
        for n in [0, 79] {
            let resend = await restarted.process(Self.admission(n))
            #expect(resend.duplicate && resend.ackCode == "AA", "ADM-\(n)")
        }
        #expect(restarted.pipeline.caseload?.read { $0.canonicalHash } == live)
        await restarted.journal.close()
    }

    @Test(arguments: [
        FaultRule(.write, nth: 1, errno: .noSpace, pathContains: ".snap"),
        FaultRule(.sync, nth: 1, errno: .ioError, pathContains: ".snap"),
        FaultRule(.rename, nth: 1, errno: .ioError, pathContains: ".snap"),
    ])
    func aFailedSnapshotWriteLosesNothing(fault: FaultRule) async throws {
        let harness = try await PipelineHarness.make(rules: [fault], withCaseload: true)
        let engine = try #require(harness.pipeline.caseload)
        let first = await Self.sendAll(harness, 0..<20)
        #expect(first.allSatisfy { $0.ackCode == "AA" })
        let captured = try #require(await engine.captureForSnapshot { harness.journal.lastDurableSequence })
        await #expect(throws: JournalError.self) {
            try await harness.store.storeSnapshot(of: captured.state, through: captured.sequence)
        }
        // A failed fsync fail-stops the journal (AR 207 from then on); other failures do not.
        let second = await Self.sendAll(harness, 20..<30)
        let acknowledged = first.count + second.filter { $0.ackCode == "AA" }.count
        #expect(fault.kind == .sync ? acknowledged == 20 : acknowledged == 30)

        let restarted = try await harness.restarted()
        #expect(restarted.store.snapshotSequence == 0)
        #expect(restarted.pipeline.caseload?.read { $0.patients.count } == acknowledged)
        #expect(restarted.pipeline.caseload?.read { $0.canonicalHash } == (try await Self.replay(restarted)).canonicalHash)
        #expect(try restarted.base.contentsOfDirectory("/state/journal").allSatisfy { !$0.hasSuffix(".tmp") })
        await restarted.journal.close()
    }

    @Test func aSnapshotThisBuildCannotReadFallsBackToAFullReplay() async throws {
        let harness = try await PipelineHarness.make(withCaseload: true)
        _ = await Self.sendAll(harness, 0..<5)
        try await harness.journal.storeSnapshot(Array("not a store snapshot".utf8), through: 5)
        let restarted = try await harness.restarted()
        #expect(restarted.store.snapshotSequence == 0)
        #expect(restarted.pipeline.caseload?.read { $0.patients.count } == 5)
        await restarted.journal.close()
    }
}
