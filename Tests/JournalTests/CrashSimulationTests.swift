// TESTPLAN T5: power-cut simulation. For each seed a journal on a CrashSimStorage takes a random
// workload (batches, segment rolls, snapshots) and the disk "loses power" at a random storage
// operation; unsynced sectors are kept, dropped or trashed, unsynced directory changes partly
// survive. Recovery must then succeed, keep every acknowledged record intact, show nothing that
// was never appended, and accept a new append.
//
// CI runs 10,000 seeds. SWITCHBOARD_SOAK=1 runs 1,000,000; SWITCHBOARD_T5_SEED=N replays one.
import Glibc
import Testing
import Journal
import SwitchboardTestSupport

@Suite("T5 power-cut simulation")
struct CrashSimulationTests {
    @Test func acknowledgedRecordsSurviveEveryCrash() async throws {
        let seeds: Range<UInt64>
        if let one = environment("SWITCHBOARD_T5_SEED").flatMap(UInt64.init) {
            seeds = one..<(one + 1)
        } else {
            seeds = 0..<(environment("SWITCHBOARD_SOAK") == "1" ? 1_000_000 : 10_000)
        }
        let started = monotonicSeconds()
        let workers = 4
        let results = await withTaskGroup(of: (violations: Int, firstFailure: (UInt64, String)?, crashed: Int).self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var violations = 0
                    var crashed = 0
                    var firstFailure: (UInt64, String)?
                    var seed = seeds.lowerBound + UInt64(worker)
                    while seed < seeds.upperBound {
                        let outcome = await runSeed(seed)
                        if outcome.crashedDuringWork { crashed += 1 }
                        if let violation = outcome.violation {
                            violations += 1
                            if firstFailure == nil || seed < firstFailure!.0 { firstFailure = (seed, violation) }
                        }
                        seed += UInt64(workers)
                    }
                    return (violations, firstFailure, crashed)
                }
            }
            var total = (violations: 0, firstFailure: nil as (UInt64, String)?, crashed: 0)
            for await result in group {
                total.violations += result.violations
                total.crashed += result.crashed
                if let failure = result.firstFailure, total.firstFailure == nil || failure.0 < total.firstFailure!.0 {
                    total.firstFailure = failure
                }
            }
            return total
        }
        let elapsed = monotonicSeconds() - started
        var figures: [(String, any Sendable)] = [
            ("seeds", seeds.count), ("first_seed", seeds.lowerBound), ("violations", results.violations),
            ("crashed_mid_workload", results.crashed), ("seeds_per_s", Double(seeds.count) / elapsed),
        ]
        if let failure = results.firstFailure { figures.append(("failing_seed", failure.0)) }
        printFigures("T5", pass: results.violations == 0, figures)
        #expect(results.violations == 0, "first failure: \(String(describing: results.firstFailure))")
    }
}

private func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// The snapshot blob for "the first `count` records": their count and a checksum of them.
private func projection(_ records: ArraySlice<[UInt8]>) -> [UInt8] {
    var crc = CRC32C()
    for record in records {
        crc.update(record)
        crc.update([0x1E])
    }
    return Array("\(records.count):\(crc.value)".utf8)
}

private struct SeedOutcome {
    var violation: String?
    var crashedDuringWork: Bool
}

private func runSeed(_ seed: UInt64) async -> SeedOutcome {
    var random = SeededGenerator(seed: seed)
    let disk = makeSimulatedDisk()
    let crashAt = Int(random.next() % 90)
    disk.crash { _, index in index >= crashAt }
    let segmentSizes = [512, 1024, 4096, 1 << 20]
    let configuration = simulatedConfiguration {
        $0.segmentSize = segmentSizes[Int(random.next() % 4)]
        $0.archiveRetention = .zero
    }
    var acked: [[UInt8]] = []
    var pending: [[UInt8]] = []
    if let journal = try? await FileJournal.open(configuration, storage: disk) {
        let steps = 1 + Int(random.next() % 24)
        for _ in 0..<steps {
            if random.next() % 8 == 0, !acked.isEmpty {
                let covered = 1 + Int(random.next() % UInt64(acked.count))
                try? await journal.storeSnapshot(projection(acked[..<covered]), through: UInt64(covered))
            }
            let count = 1 + Int(random.next() % 4)
            let payloads = (0..<count).map { _ in random.bytes(Int(random.next() % 700)) }
            do {
                let range = try await journal.append(contentsOf: payloads)
                if range.lowerBound != UInt64(acked.count + 1) {
                    return SeedOutcome(violation: "append returned \(range) after \(acked.count) records", crashedDuringWork: false)
                }
                acked += payloads
            } catch {
                pending = payloads
                break
            }
        }
        await journal.close()
    }
    let crashedDuringWork = disk.hasCrashed
    disk.crashNow()
    let image = disk.imageAfterCrash(seed: seed)
    func fail(_ text: String) -> SeedOutcome {
        var detail = text + " [crashed at op \(crashAt): \(disk.crashedAt.map { "\($0)" } ?? "none"), segment size \(configuration.segmentSize)"
        if let walk = try? JournalMaintenance.verify(storage: image.copy(), directory: simulatedDirectory) {
            detail += ", segments \(walk.segments.map { "\($0.name.dropFirst(8).prefix(20)):\($0.records)/\($0.fileSize)" })"
            detail += ", torn \(walk.tornTail.map { "\($0.segment)@\($0.offset): \($0.reason)" } ?? "none")"
        }
        return SeedOutcome(violation: detail + "]", crashedDuringWork: crashedDuringWork)
    }
    do {
        let journal = try await FileJournal.open(configuration, storage: image)
        // Segments wholly covered by a snapshot may have been removed (retention is zero here),
        // so the readable records start at most one past the snapshot.
        let records = try await journal.records(from: 1, limit: .max)
        let snapshotSequence = journal.recovery.snapshotSequence
        let first = records.first?.sequence ?? snapshotSequence + 1
        let last = records.last?.sequence ?? snapshotSequence
        let all = acked + pending
        if first > snapshotSequence + 1 { return fail("records \(snapshotSequence + 1)..<\(first) are missing") }
        if last < UInt64(acked.count) { return fail("lost acknowledged records: journal ends at \(last), \(acked.count) acknowledged") }
        if last > UInt64(all.count) { return fail("journal ends at \(last) but only \(all.count) were appended") }
        for (index, record) in records.enumerated() {
            if record.sequence != first + UInt64(index) { return fail("sequence \(record.sequence) at position \(index)") }
            if record.payload != all[Int(record.sequence) - 1] { return fail("record \(record.sequence) differs from what was appended") }
        }
        if snapshotSequence > 0 {
            let snapshot = try await journal.latestSnapshot()
            if snapshotSequence > last || snapshot?.blob != projection(all[..<Int(snapshotSequence)]) {
                return fail("snapshot \(snapshotSequence) does not match the records it covers")
            }
        }
        let next = try await journal.append([0x42])
        if next != last + 1 { return fail("new append got \(next) after \(last)") }
        await journal.close()
    } catch {
        return fail("recovery failed: \(error)")
    }
    return SeedOutcome(violation: nil, crashedDuringWork: crashedDuringWork)
}
