import Glibc
import Testing
import Journal
import SwitchboardTestSupport
import SystemPackage

@Suite("File journal")
struct FileJournalTests {
    @Test func appendsReadBackAndSurviveReopen() async throws {
        let disk = makeSimulatedDisk()
        let journal = try await FileJournal.open(simulatedConfiguration(), storage: disk)
        #expect(journal.recovery.lastSequence == 0)
        for index in 1...20 {
            #expect(try await journal.append(payload(index, size: index * 10)) == UInt64(index))
        }
        #expect(try await journal.append(contentsOf: [[1], [2], [3]]) == 21...23)
        #expect(journal.lastDurableSequence == 23)
        await journal.close()

        let reopened = try await FileJournal.open(simulatedConfiguration(), storage: disk.imageAfterCrash(seed: 1))
        #expect(reopened.recovery.lastSequence == 23)
        #expect(reopened.recovery.truncatedTail == nil)
        let records = try await reopened.records(from: 1, limit: .max)
        #expect(records.map(\.sequence) == Array(1...23))
        #expect(records[4].payload == payload(5, size: 50))
        #expect(try await reopened.records(from: 22, limit: 1).map(\.payload) == [[2]])
        #expect(try await reopened.append([9]) == 24)
        await reopened.close()
    }

    @Test func emptyPayloadAndSizeLimit() async throws {
        let journal = try await FileJournal.open(simulatedConfiguration { $0.maxRecordSize = 100 }, storage: makeSimulatedDisk())
        #expect(try await journal.append([]) == 1)
        await #expect(throws: JournalError.self) { _ = try await journal.append([UInt8](repeating: 1, count: 101)) }
        #expect(try await journal.append([1]) == 2)
        await journal.close()
    }

    @Test func segmentsRollAtTheConfiguredSize() async throws {
        let disk = makeSimulatedDisk()
        let configuration = simulatedConfiguration { $0.segmentSize = 1024 }
        let journal = try await FileJournal.open(configuration, storage: disk)
        for index in 1...50 { _ = try await journal.append(payload(index, size: 200)) }
        _ = try await journal.append(payload(51, size: 3000))  // larger than a segment: goes alone
        _ = try await journal.append([7])
        await journal.close()
        let names = try disk.contentsOfDirectory(simulatedDirectory).filter { $0.hasPrefix("segment-") }
        #expect(names == names.sorted())
        #expect(names.count >= 12)
        for name in names {
            let size = disk.contents(of: simulatedDirectory + "/" + name)!.count
            #expect(size <= 1024 || size == SectorLayout.alignUp(RecordHeader.size + 3000), "\(name) has \(size) bytes")
        }
        let reopened = try await FileJournal.open(configuration, storage: disk.copy())
        #expect(reopened.recovery.lastSequence == 52)
        #expect(try await reopened.records(from: 1, limit: .max).map(\.sequence) == Array(1...52))
        await reopened.close()
    }

    @Test func concurrentAppendersAreGroupCommitted() async throws {
        let disk = FaultInjectingStorage(wrapping: makeSimulatedDisk())
        let journal = try await FileJournal.open(simulatedConfiguration(), storage: disk)
        let syncsBefore = disk.log.filter { $0.operation.kind == .sync }.count
        // A slow disk: appends that arrive during one fdatasync must share the next one.
        disk.syncDelayMicroseconds = 20_000
        let sequences = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for index in 0..<256 { group.addTask { try await journal.append(payload(index, size: 100)) } }
            var all: [UInt64] = []
            for try await sequence in group { all.append(sequence) }
            return all
        }
        #expect(Set(sequences) == Set(1...256))
        let syncs = disk.log.filter { $0.operation.kind == .sync }.count - syncsBefore
        #expect(syncs >= 1 && syncs <= 16, "256 concurrent appends took \(syncs) fdatasyncs")
        print("group commit: 256 concurrent appends took \(syncs) fdatasyncs")
        await journal.close()
    }

    @Test func aBatchCallIsOneWriteAndOneSync() async throws {
        let disk = FaultInjectingStorage(wrapping: makeSimulatedDisk())
        let journal = try await FileJournal.open(simulatedConfiguration(), storage: disk)
        let before = disk.log.count
        _ = try await journal.append(contentsOf: (0..<32).map { payload($0, size: 64) })
        let operations = disk.log.dropFirst(before).map(\.operation.kind)
        #expect(operations == [.write, .sync])
        await journal.close()
    }

    @Test func secondWriterIsRefusedWithAClearMessage() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let configuration = JournalConfiguration(stateDirectory: directory)
        let first = try await FileJournal.open(configuration)
        do {
            _ = try await FileJournal.open(configuration)
            Issue.record("a second writer opened the journal")
        } catch {
            #expect(error.code == .locked)
            #expect(error.message.contains("locked by another writer (pid \(getpid()))"))
        }
        await first.close()
        let again = try await FileJournal.open(configuration)
        await again.close()
    }

    @Test func filesArePrivateAndLooseDirectoriesAreRefused() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let previous = umask(0)
        defer { umask(previous) }
        let configuration = JournalConfiguration(stateDirectory: directory)
        let journal = try await FileJournal.open(configuration)
        _ = try await journal.append([1, 2, 3])
        try await journal.storeSnapshot([4], through: 1)
        await journal.close()
        let storage = SystemStorage()
        #expect(try storage.status(of: configuration.directory).permissions == 0o700)
        for name in try storage.contentsOfDirectory(configuration.directory) {
            #expect(try storage.status(of: configuration.directory + "/" + name).permissions == 0o600, "\(name)")
        }
        chmod(configuration.directory, 0o755)
        await #expect(throws: JournalError.self) { _ = try await FileJournal.open(configuration) }
        chmod(configuration.directory, 0o700)
    }

    @Test func snapshotsNewestValidWinsAndOldOnesArePruned() async throws {
        let disk = makeSimulatedDisk()
        let journal = try await FileJournal.open(simulatedConfiguration(), storage: disk)
        for index in 1...10 { _ = try await journal.append(payload(index, size: 10)) }
        #expect(try await journal.latestSnapshot() == nil)
        try await journal.storeSnapshot([1], through: 3)
        try await journal.storeSnapshot([2], through: 6)
        try await journal.storeSnapshot([3], through: 9)
        await #expect(throws: JournalError.self) { try await journal.storeSnapshot([4], through: 11) }
        #expect(try await journal.latestSnapshot()?.blob == [3])
        await journal.close()
        let snapshots = try disk.contentsOfDirectory(simulatedDirectory).filter { $0.hasPrefix("snapshot-") }
        #expect(snapshots == [JournalFileName.snapshot(sequence: 6).name, JournalFileName.snapshot(sequence: 9).name])

        // Damage the newest: the previous one wins, and recovery starts from its position.
        let newest = simulatedDirectory + "/" + JournalFileName.snapshot(sequence: 9).name
        var bytes = disk.contents(of: newest)!
        bytes[bytes.count - 1] ^= 0xFF
        let damaged = disk.copy()
        damaged.setContents(of: newest, to: bytes)
        let reopened = try await FileJournal.open(simulatedConfiguration(), storage: damaged)
        #expect(reopened.recovery.snapshotSequence == 6)
        #expect(reopened.recovery.skippedSnapshots.map(\.file) == [JournalFileName.snapshot(sequence: 9).name])
        #expect(try await reopened.latestSnapshot()?.blob == [2])
        await reopened.close()
    }

    @Test func retentionKeepsCoveredSegmentsForTheArchivePeriod() async throws {
        let disk = makeSimulatedDisk()
        let configuration = simulatedConfiguration {
            $0.segmentSize = 1024
            $0.archiveRetention = .seconds(3600)
        }
        let journal = try await FileJournal.open(configuration, storage: disk)
        for index in 1...40 { _ = try await journal.append(payload(index, size: 200)) }
        let segments = { try disk.contentsOfDirectory(simulatedDirectory).filter { $0.hasPrefix("segment-") } }
        let before = try segments()
        try await journal.storeSnapshot([0xAA], through: 20)
        #expect(try segments() == before, "nothing removed inside the archive period")
        disk.advanceClock(by: .seconds(7200))
        let removed = try await journal.applyRetention()
        #expect(!removed.isEmpty)
        #expect(try segments() == Array(before.dropFirst(removed.count)))
        // Every remaining segment still holds records after the snapshot; nothing uncovered went.
        let first = JournalFileName(parsing: try segments()[0])
        guard case .segment(let firstSequence) = first else { Issue.record("no segment left"); return }
        #expect(firstSequence <= 21)
        #expect(try await journal.records(from: 21, limit: .max).map(\.sequence) == Array(21...40))
        await journal.close()
        let reopened = try await FileJournal.open(configuration, storage: disk.copy())
        #expect(reopened.recovery.lastSequence == 40 && reopened.recovery.snapshotSequence == 20)
        await reopened.close()
        #expect(try JournalMaintenance.verify(storage: disk.copy(), directory: simulatedDirectory).problem == nil)
    }

    @Test func diskFullIsTypedAndLeavesNoPartialRecord() async throws {
        let base = makeSimulatedDisk()
        let disk = FaultInjectingStorage(wrapping: base)
        let journal = try await FileJournal.open(simulatedConfiguration(), storage: disk)
        _ = try await journal.append(payload(1, size: 100))
        let segment = simulatedDirectory + "/" + JournalFileName.segment(firstSequence: 1).name
        let goodSize = base.contents(of: segment)!.count
        disk.setRules([FaultRule(.write, nth: 1, errno: .noSpace, persistent: true, partialBytes: 70)])
        for _ in 0..<3 {
            do {
                _ = try await journal.append(payload(2, size: 300))
                Issue.record("append succeeded on a full disk")
            } catch {
                #expect(error.code == .diskFull)
                #expect(error.location?.offset == Int64(goodSize))
            }
            #expect(base.contents(of: segment)!.count == goodSize, "a partial record stayed behind")
        }
        #expect(!journal.isFailStopped)
        disk.setRules([])  // space freed
        #expect(try await journal.append(payload(2, size: 300)) == 2)
        await journal.close()
        let reopened = try await FileJournal.open(simulatedConfiguration(), storage: base.imageAfterCrash(seed: 9))
        #expect(reopened.recovery.truncatedTail == nil)
        #expect(try await reopened.records(from: 1, limit: .max).map(\.payload) == [payload(1, size: 100), payload(2, size: 300)])
        await reopened.close()
    }

    @Test func diskFullWhileRollingKeepsTheJournalUsable() async throws {
        let base = makeSimulatedDisk()
        let disk = FaultInjectingStorage(wrapping: base)
        let configuration = simulatedConfiguration { $0.segmentSize = 1024 }
        let journal = try await FileJournal.open(configuration, storage: disk)
        for index in 1...4 { _ = try await journal.append(payload(index, size: 200)) }
        disk.setRules([FaultRule(.open, nth: 1, errno: .noSpace, pathContains: "segment-")])
        await #expect(throws: JournalError.self) { _ = try await journal.append(payload(5, size: 200)) }
        #expect(try await journal.append(payload(5, size: 200)) == 5)
        await journal.close()
        #expect(try JournalMaintenance.verify(storage: base.copy(), directory: simulatedDirectory).problem == nil)
    }

    @Test func corruptionInASealedSegmentRefusesToOpenNamingFileAndOffset() async throws {
        let disk = makeSimulatedDisk()
        let configuration = simulatedConfiguration { $0.segmentSize = 1024 }
        let journal = try await FileJournal.open(configuration, storage: disk)
        for index in 1...30 { _ = try await journal.append(payload(index, size: 100)) }
        await journal.close()
        let name = JournalFileName.segment(firstSequence: 1).name
        var bytes = disk.contents(of: simulatedDirectory + "/" + name)!
        let lastStart = Int64(bytes.count - 512)  // each single append fills one sector
        bytes[Int(lastStart) + 45] ^= 0x01  // last record of a sealed segment
        let damaged = disk.copy()
        damaged.setContents(of: simulatedDirectory + "/" + name, to: bytes)
        do {
            _ = try await FileJournal.open(configuration, storage: damaged)
            Issue.record("opened a journal with a corrupt sealed segment")
        } catch {
            #expect(error.code == .corrupt)
            #expect(error.message.contains("corrupt record at offset \(lastStart) in segment \(name)"))
            #expect(error.location == .init(file: name, offset: lastStart))
        }
        let walk = try JournalMaintenance.verify(storage: damaged, directory: simulatedDirectory)
        #expect(walk.problem?.location?.offset == lastStart)
        #expect(throws: JournalError.self) { _ = try JournalMaintenance.repair(storage: damaged, directory: simulatedDirectory) }
    }

    @Test func repairCutsATornTailAfterSavingIt() async throws {
        let reference = try await buildReferenceJournal(records: 10)
        let cut = reference.starts[9] + 17
        let disk = diskWithSegment(Array(reference.bytes[..<cut]))
        let walk = try JournalMaintenance.verify(storage: disk, directory: simulatedDirectory)
        #expect(walk.problem == nil && walk.tornTail?.offset == Int64(reference.starts[9]) && walk.records == 9)
        let outcome = try JournalMaintenance.repair(storage: disk, directory: simulatedDirectory)
        let saved = try #require(outcome.savedTo)
        #expect(disk.contents(of: saved) == Array(reference.bytes[reference.starts[9]..<cut]))
        let clean = try JournalMaintenance.verify(storage: disk, directory: simulatedDirectory)
        #expect(clean.tornTail == nil && clean.problem == nil && clean.records == 9)
    }

    @Test func readersSeeAConsistentPrefixWhileAWriterAppends() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let configuration = JournalConfiguration(directory: directory + "/journal")
        let journal = try await FileJournal.open(configuration)
        let writer = Task {
            for index in 1...600 { _ = try await journal.append(payload(index, size: index % 700)) }
        }
        var reads = 0
        var longest = 0
        while true {
            let done = writer.isCancelled || journal.lastDurableSequence >= 600
            let records = try JournalMaintenance.records(directory: configuration.directory)
            #expect(records.map(\.sequence) == Array(1...UInt64(max(records.count, 1))).prefix(records.count).map { $0 })
            for record in records { #expect(record.payload == payload(Int(record.sequence), size: Int(record.sequence) % 700)) }
            longest = max(longest, records.count)
            reads += 1
            if done { break }
        }
        try await writer.value
        #expect(longest == 600)
        await journal.close()
    }
}
