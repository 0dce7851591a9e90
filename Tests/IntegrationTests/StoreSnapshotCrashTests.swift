// TESTPLAN T9 at the store level: a power cut at each step of a caseload snapshot (temporary
// file write, its fsync, the rename, the directory fsync, the retention trim after it). The
// restart must succeed, its caseload (snapshot + tail) must equal the caseload of the same
// messages stored without a crash, and every acknowledged message must still be a duplicate.
import Caseload
import CaseloadStore
import Integration
import Journal
import Logging
import Synchronization
import SwitchboardTestSupport
import Testing

@Suite("T9 store snapshot crash points")
struct StoreSnapshotCrashTests {
    static let now = PipelineHarness.fixedNow
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Node {
        let journal: FileJournal
        let store: InboundStore
        let engine: CaseloadEngine
        let pipeline: InboundPipeline

        static func open(_ storage: CrashSimStorage) async throws -> Node {
            var configuration = JournalConfiguration(directory: "/state/journal")
            configuration.segmentSize = 4096
            configuration.archiveRetention = .zero
            let journal = try await FileJournal.open(configuration, storage: storage)
            let store = try await InboundStore.open(journal: journal, logger: logger, nowMicroseconds: now)
            let engine = CaseloadEngine(store: store, rules: CaseloadRules())
            return Node(journal: journal, store: store, engine: engine,
                        pipeline: InboundPipeline(configuration: InboundConfiguration(), store: store, caseload: engine, now: { now }))
        }

        func process(_ text: String) async -> InboundResult {
            await withCheckedContinuation { continuation in
                pipeline.process(Array(text.utf8), receipt: InboundReceipt(listener: "mllp", peer: "127.0.0.1:1", receivedAtMicroseconds: now)) {
                    continuation.resume(returning: $0)
                }
            }
        }

        func snapshot() async throws {
            let journal = journal
            guard let (state, sequence) = await engine.captureForSnapshot(durableSequence: { journal.lastDurableSequence }) else { return }
            try await journal.heartbeat()
            try await store.storeSnapshot(of: state, through: sequence)
        }
    }

    @Test func restartAfterACrashAtEverySnapshotStep() async throws {
        var runs = 0, crashes = 0, mismatches = 0, lost = 0, failedRestarts = 0
        var failures: [String] = []
        for step in SnapshotStep.allCases {
            for run in 0..<4 {
                runs += 1
                let seed = UInt64(run) &* 7919 &+ UInt64(step.rawValue.count)
                let disk = CrashSimStorage()
                try disk.createDirectory("/state")
                let node = try await Node.open(disk)
                let count = 24 + run * 9
                for n in 0..<count / 2 { #expect(await node.process(SnapshotTests.admission(n)).ackCode == "AA") }
                if run % 2 == 0 { try await node.snapshot() }  // an earlier snapshot to fall back to
                for n in count / 2..<count { #expect(await node.process(SnapshotTests.admission(n)).ackCode == "AA") }
                disk.crash(when: CrashSimStorage.crashPoint(step))
                try? await node.snapshot()
                if disk.hasCrashed { crashes += 1 }
                await node.journal.close()
                disk.crashNow()

                // The same messages stored without any crash: the caseload the restart must have.
                let clean = CrashSimStorage()
                try clean.createDirectory("/state")
                let reference = try await Node.open(clean)
                for n in 0..<count { _ = await reference.process(SnapshotTests.admission(n)) }
                let expected = reference.engine.read { $0.canonicalHash }
                await reference.journal.close()

                do {
                    let restarted = try await Node.open(disk.imageAfterCrash(seed: seed))
                    if restarted.engine.read({ $0.canonicalHash }) != expected {
                        mismatches += 1
                        failures.append("\(step.rawValue) run \(run): caseload differs (snapshot \(restarted.store.snapshotSequence))")
                    }
                    for n in 0..<count where await !restarted.process(SnapshotTests.admission(n)).duplicate {
                        lost += 1
                        failures.append("\(step.rawValue) run \(run): ADM-\(n) not recognised as stored")
                    }
                    await restarted.journal.close()
                } catch {
                    failedRestarts += 1
                    failures.append("\(step.rawValue) run \(run): restart failed: \(error)")
                }
            }
        }
        print(#"{"test":"T9-store","runs":\#(runs),"crashes":\#(crashes),"mismatches":\#(mismatches),"lost":\#(lost),"failed_restarts":\#(failedRestarts)}"#)
        #expect(crashes == runs)  // every run reached its crash point (retention is zero, so trim runs too)
        #expect(mismatches == 0 && lost == 0 && failedRestarts == 0, "\(failures.prefix(5))")
    }
}
