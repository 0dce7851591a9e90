// TESTPLAN T9: crash points around snapshots (temporary file write, its fsync, the rename, the
// directory fsync, and the retention trim that follows), 20 runs each. Restart must succeed,
// the state rebuilt from the snapshot plus the records after it must equal a full replay of
// every acknowledged record, and no acknowledged record may be lost.
import Synchronization
import Testing
import Journal
import SwitchboardTestSupport

@Suite("T9 snapshot crash points")
struct SnapshotCrashTests {
    @Test func restartAfterACrashAtEverySnapshotStep() async throws {
        var runs = 0, mismatches = 0, failedRestarts = 0, crashesHit = 0
        var failures: [String] = []
        for step in SnapshotStep.allCases {
            for run in 0..<20 {
                runs += 1
                let seed = UInt64(run) &* 31 &+ UInt64(step.rawValue.count)
                var random = SeededGenerator(seed: seed)
                let disk = makeSimulatedDisk()
                let configuration = simulatedConfiguration {
                    $0.segmentSize = 1024
                    $0.archiveRetention = .zero
                }
                let journal = try await FileJournal.open(configuration, storage: disk)
                var acked: [[UInt8]] = []
                for _ in 0..<(10 + Int(random.next() % 30)) {
                    let record = random.bytes(50 + Int(random.next() % 300))
                    _ = try await journal.append(record)
                    acked.append(record)
                }
                // An earlier snapshot, so a failed new one has something to fall back to.
                if run % 2 == 0 {
                    let covered = acked.count / 2
                    try await journal.storeSnapshot(state(of: acked[..<covered]), through: UInt64(covered))
                }
                disk.crash(when: CrashSimStorage.crashPoint(step))
                do {
                    try await journal.storeSnapshot(state(of: acked[...]), through: UInt64(acked.count))
                } catch {}
                if disk.hasCrashed { crashesHit += 1 }
                await journal.close()
                disk.crashNow()

                do {
                    let reopened = try await FileJournal.open(configuration, storage: disk.imageAfterCrash(seed: seed))
                    let snapshot = try await reopened.latestSnapshot()
                    let covered = Int(snapshot?.sequence ?? 0)
                    let tail = try await reopened.records(from: UInt64(covered + 1), limit: .max)
                    var rebuilt = snapshot?.blob ?? state(of: acked[..<0])
                    for record in tail { rebuilt = state(after: rebuilt, record.payload) }
                    if rebuilt != state(of: acked[...]) || reopened.recovery.lastSequence != UInt64(acked.count) {
                        mismatches += 1
                        failures.append("\(step.rawValue) run \(run): state differs (snapshot \(covered), tail \(tail.count))")
                    }
                    await reopened.close()
                } catch {
                    failedRestarts += 1
                    failures.append("\(step.rawValue) run \(run): restart failed: \(error)")
                }
            }
        }
        let pass = mismatches == 0 && failedRestarts == 0 && crashesHit == runs
        printFigures("T9", pass: pass, [
            ("points", SnapshotStep.allCases.count), ("runs_per_point", 20), ("runs", runs), ("crashes_hit", crashesHit),
            ("mismatches", mismatches), ("failed_restarts", failedRestarts),
        ])
        #expect(pass, "\(failures.prefix(5))")
    }
}

/// The "projection": a running checksum over every record, as a blob.
private func state(of records: ArraySlice<[UInt8]>) -> [UInt8] {
    records.reduce([0, 0, 0, 0]) { state(after: $0, $1) }
}

private func state(after previous: [UInt8], _ record: [UInt8]) -> [UInt8] {
    var crc = CRC32C()
    crc.update(previous)
    crc.update(record)
    return withUnsafeBytes(of: crc.value.littleEndian) { Array($0) }
}
