// TESTPLAN T8: after an fdatasync (or write) error the journal fail-stops: the record being synced
// is not acknowledged, no later append is acknowledged, and nothing is synced again. After a
// restart every acknowledged record is there exactly once.
import Testing
import Journal
import SwitchboardTestSupport
import SystemPackage

@Suite("T8 fsync EIO fail-stop")
struct FailStopTests {
    private struct Case: Sendable {
        var name: String
        var rule: FaultRule
        var segmentSize = 64 << 20
    }

    @Test func failStopAfterSyncOrWriteErrors() async throws {
        let cases = [
            Case(name: "fdatasync EIO once at the 500th sync", rule: FaultRule(.sync, nth: 500, errno: .ioError, pathContains: "segment-")),
            Case(name: "fdatasync EIO from the 20th sync on", rule: FaultRule(.sync, nth: 20, errno: .ioError, persistent: true, pathContains: "segment-")),
            Case(name: "write EIO once at the 300th write", rule: FaultRule(.write, nth: 300, errno: .ioError, pathContains: "segment-")),
            Case(name: "directory fsync EIO at a segment roll", rule: FaultRule(.syncDirectory, nth: 2, errno: .ioError, pathContains: "/journal"), segmentSize: 4096),
        ]
        var ackedAfterError = 0, syncsAfterError = 0, lost = 0, doubled = 0, stopped = 0
        var failures: [String] = []
        for item in cases {
            let base = makeSimulatedDisk()
            let disk = FaultInjectingStorage(wrapping: base, rules: [item.rule])
            let configuration = simulatedConfiguration { $0.segmentSize = item.segmentSize }
            let journal = try await FileJournal.open(configuration, storage: disk)
            var acked: [[UInt8]] = []
            var failedAt: Int?
            for index in 0..<700 {
                let record = payload(index, size: 64)
                do {
                    _ = try await journal.append(record)
                    if failedAt != nil { ackedAfterError += 1 } else { acked.append(record) }
                } catch {
                    if error.code != .failStopped { failures.append("\(item.name): \(error.code) instead of failStopped") }
                    if failedAt == nil { failedAt = index }
                }
            }
            if failedAt == nil { failures.append("\(item.name): the fault never fired") }
            if journal.isFailStopped { stopped += 1 }
            do {
                try await journal.storeSnapshot([1], through: 1)
                failures.append("\(item.name): snapshot accepted after fail-stop")
            } catch {}
            let log = disk.log
            if let failed = log.firstIndex(where: \.failed) {
                syncsAfterError += log[(failed + 1)...].filter { $0.operation.kind == .sync || $0.operation.kind == .syncDirectory }.count
            }
            await journal.close()

            let reopened = try await FileJournal.open(configuration, storage: base.imageAfterCrash(seed: 8))
            let records = try await reopened.records(from: 1, limit: .max)
            if records.count < acked.count || Array(records.prefix(acked.count).map(\.payload)) != acked { lost += 1 }
            if records.count > acked.count + 1 { doubled += 1 }
            await reopened.close()
        }
        let pass = ackedAfterError == 0 && syncsAfterError == 0 && lost == 0 && doubled == 0 && stopped == cases.count && failures.isEmpty
        printFigures("T8", pass: pass, [
            ("seed", 8), ("cases", cases.count), ("fail_stopped", stopped), ("aa_after_eio", ackedAfterError),
            ("syncs_after_eio", syncsAfterError), ("acked_lost_after_restart", lost), ("post_restart_extra", doubled),
        ])
        #expect(pass, "\(failures)")
    }

    @Test func snapshotSyncFailureFailStops() async throws {
        let disk = FaultInjectingStorage(wrapping: makeSimulatedDisk(), rules: [FaultRule(.sync, nth: 1, errno: .ioError, pathContains: "snapshot-")])
        let journal = try await FileJournal.open(simulatedConfiguration(), storage: disk)
        _ = try await journal.append([1])
        await #expect(throws: JournalError.self) { try await journal.storeSnapshot([9], through: 1) }
        #expect(journal.isFailStopped)
        do {
            _ = try await journal.append([2])
            Issue.record("append acknowledged after a failed snapshot fsync")
        } catch {
            #expect(error.code == .failStopped)
        }
        await journal.close()
    }

    @Test func appendsAfterCloseAreRefused() async throws {
        let journal = try await FileJournal.open(simulatedConfiguration(), storage: makeSimulatedDisk())
        await journal.close()
        await #expect(throws: JournalError.self) { _ = try await journal.append([1]) }
    }
}
