// Durable commits are handed to whoever holds the caseload lock (the journal thread never waits
// for it): under concurrent senders, readers and snapshots, every commit is folded in exactly
// once, in journal order, none is left queued when traffic stops, and the outbox hears of every
// referral.
import Caseload
import CaseloadStore
import Dispatch
import Foundation
@testable import Integration
import Journal
import Outbox
import Synchronization
import SwitchboardTestSupport
import Testing

@Suite("commit hand-off")
struct CommitHandOffTests {
    /// An admission, then a discharge home-health takes (disposition 06), for patient `n`.
    private static func messages(patient n: Int) -> [String] {
        let pid = "PID|1||HO\(n)^^^HOSP^MR||SYNTHETIC^HANDOFF\(n)"
        var pv1 = Array(repeating: "", count: 37)
        pv1[0] = "PV1"; pv1[1] = "1"; pv1[2] = "I"; pv1[3] = "WARD1^\(n % 30 + 1)^A"; pv1[19] = "HV\(n)"
        let admit = adt(controlID: "HA-\(n)", body: pid + "\r" + pv1.joined(separator: "|"))
        pv1[36] = "06"
        let discharge = adt(controlID: "HD-\(n)", type: "ADT^A03^ADT_A03", body: pid + "\r" + pv1.joined(separator: "|"))
        return [admit, discharge]
    }

    @Test func everyCommitIsFoldedOnceUnderConcurrentSendersReadersAndSnapshots() async throws {
        // fdatasync takes a little while: commits arrive while decisions hold the lock.
        let harness = try await PipelineHarness.make(syncDelayMicroseconds: 200, withCaseload: true)
        let engine = try #require(harness.pipeline.caseload)
        let notified = Mutex<[String: Int]>([:])
        engine.setOutboxListener { destinations in
            notified.withLock { for destination in destinations { $0[destination, default: 0] += 1 } }
        }
        let senders = 4, patientsEach = 40
        let stop = Atomic(false)
        // Readers and snapshot captures take the lock meanwhile (as queries and the snapshotter do).
        let readers = Task {
            var captures = 0
            while !stop.load(ordering: .relaxed) {
                _ = engine.read { $0.audit.count }
                if let (state, _) = await engine.captureForSnapshot(durableSequence: { harness.journal.lastDurableSequence }) {
                    captures += 1
                    #expect(state.outbox.queues.values.allSatisfy { $0.open.count <= senders * patientsEach })
                }
                await Task.yield()
            }
            return captures
        }
        let answers = await withTaskGroup(of: [String].self) { group in
            for sender in 0..<senders {
                group.addTask {
                    var codes: [String] = []
                    for patient in (sender * patientsEach)..<((sender + 1) * patientsEach) {
                        for message in Self.messages(patient: patient) { codes.append(await harness.process(message).ackCode) }
                    }
                    return codes
                }
            }
            var all: [String] = []
            for await codes in group { all += codes }
            return all
        }
        stop.store(true, ordering: .relaxed)
        #expect(await readers.value >= 1)
        let total = senders * patientsEach
        #expect(answers.count == 2 * total && answers.allSatisfy { $0 == "AA" })

        // Every ACK left after its commit was queued; nothing may be left unfolded now that
        // traffic stopped (no later lock holder would fold it).
        #expect(engine.commits.withLock { $0.isEmpty })
        #expect(engine.live.withLock { $0.pending } == 0)
        // Folded exactly once each, in journal order.
        let sequences = engine.read { state in state.audit.map(\.sequence) }
        #expect(sequences.count == 2 * total)
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)
        // Every referral joined the outbox once, and the dispatcher was told.
        let open = engine.readOutbox { $0.queues["home-health"]?.open.count ?? 0 }
        #expect(open == total)
        #expect((notified.withLock { $0["home-health"] } ?? 0) >= 1)
        // The live caseload is the journal's: a rebuild from it gives the same hash.
        let replayed = try await harness.store.replayState()
        #expect(engine.read { $0.canonicalHash } == replayed.caseload.canonicalHash)
    }

    /// The race the hand-off must win: a commit arrives while another thread holds the lock and
    /// traffic then stops. The holder must fold it in after unlocking (nobody else will).
    @Test func aCommitArrivingWhileTheLockIsHeldIsFoldedByTheHolder() async throws {
        let harness = try await PipelineHarness.make(withCaseload: true)
        let engine = try #require(harness.pipeline.caseload)
        engine.withLive { $0.pending += 1 }  // one append in flight
        let entered = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let holder = Thread {
            engine.withLive { _ in
                entered.signal()
                release.wait()
            }
            done.signal()
        }
        holder.start()
        entered.wait()
        engine.committedWithoutEvents(sequence: 1)  // the journal thread, while the lock is held
        #expect(engine.commits.withLock { $0.count } == 1, "queued, not folded: the lock is held")
        release.signal()
        done.wait()
        #expect(engine.commits.withLock { $0.isEmpty }, "the holder folds it in after unlocking")
        #expect(engine.live.withLock { $0.pending } == 0)
    }
}
