// TESTPLAN T3: a torn tail at every byte offset of the last record, and 1–4096 trailing zero or
// random bytes, is cut back to the end of record 99; the journal then appends and reopens clean.
import Testing
import Journal
import SwitchboardTestSupport

@Suite("T3 torn tail")
struct TornTailTests {
    @Test func tornTailAtEveryOffsetAndGarbageTails() async throws {
        let seed: UInt64 = 3
        let reference = try await buildReferenceJournal(records: 100, seed: seed)
        let end99 = reference.starts[99]
        var offsetsTested = 0, zeroCases = 0, garbageCases = 0, correct = 0
        var failures: [String] = []

        func check(_ image: [UInt8], label: String) async {
            do {
                let disk = diskWithSegment(image)
                let journal = try await FileJournal.open(simulatedConfiguration(), storage: disk)
                var ok = journal.recovery.lastSequence == 99 && journal.recovery.recordsScanned == 99
                ok = ok && journal.recovery.truncatedTail?.offset == Int64(end99)
                let segment = simulatedDirectory + "/" + JournalFileName.segment(firstSequence: 1).name
                ok = ok && disk.contents(of: segment)?.count == end99
                let appended = try await journal.append([0xEE, 0xFF])
                ok = ok && appended == 100
                await journal.close()
                let again = try await FileJournal.open(simulatedConfiguration(), storage: disk.imageAfterCrash(seed: 0))
                ok = ok && again.recovery.truncatedTail == nil && again.recovery.lastSequence == 100
                let records = try await again.records(from: 98, limit: Int.max)
                ok = ok && records.map(\.payload) == [reference.payloads[97], reference.payloads[98], [0xEE, 0xFF]]
                await again.close()
                if ok { correct += 1 } else { failures.append(label) }
            } catch {
                failures.append("\(label): \(error)")
            }
        }

        let frameEnd100 = end99 + RecordHeader.size + reference.payloads[99].count
        for cut in (end99 + 1)..<frameEnd100 {
            offsetsTested += 1
            await check(Array(reference.bytes[..<cut]), label: "cut at \(cut)")
        }
        var random = SeededGenerator(seed: seed)
        let prefix = Array(reference.bytes[..<end99])
        for count in 1...4096 {
            zeroCases += 1
            await check(prefix + [UInt8](repeating: 0, count: count), label: "\(count) zero bytes")
            garbageCases += 1
            await check(prefix + random.bytes(count), label: "\(count) random bytes")
        }
        let total = offsetsTested + zeroCases + garbageCases
        printFigures("T3", pass: failures.isEmpty && correct == total, [
            ("seed", seed), ("offsets_tested", offsetsTested), ("correct", correct),
            ("zero_tail_cases", zeroCases), ("garbage_tail_cases", garbageCases), ("failures", failures.count),
        ])
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(correct == total)
    }
}
