// TESTPLAN T4: 1,000 seeded single-bit flips anywhere except the last record (header fields
// included) are all detected: open refuses with "corrupt record at offset X" naming the record
// that holds the flipped bit. A CRC-32C over header and payload catches every single-bit error.
import Testing
import Journal
import SwitchboardTestSupport

@Suite("T4 bit flips")
struct BitFlipTests {
    @Test func everySingleBitFlipIsDetected() async throws {
        let seed: UInt64 = 4
        let reference = try await buildReferenceJournal(records: 100, seed: seed)
        let lastStart = reference.starts[99]
        var random = SeededGenerator(seed: seed)
        var detected = 0, silentAccept = 0, misframed = 0, headerFlips = 0, paddingFlips = 0
        var failures: [String] = []
        let name = JournalFileName.segment(firstSequence: 1).name
        for _ in 0..<1000 {
            let bit = Int(random.next() % UInt64(lastStart * 8))
            let byte = bit / 8
            var image = reference.bytes
            image[byte] ^= UInt8(1 << (bit % 8))
            let record = reference.starts.lastIndex(where: { $0 <= byte })!
            let frameEnd = reference.starts[record] + RecordHeader.size + reference.payloads[record].count
            if byte - reference.starts[record] < RecordHeader.size { headerFlips += 1 }
            if byte >= frameEnd { paddingFlips += 1 }
            // A flip in the zero padding after a record is reported where the padding starts.
            let damagedAt = byte >= frameEnd ? frameEnd : reference.starts[record]
            do {
                let journal = try await FileJournal.open(simulatedConfiguration(), storage: diskWithSegment(image))
                await journal.close()
                silentAccept += 1
                failures.append("flip of bit \(bit) accepted")
            } catch {
                let expected = "corrupt record at offset \(damagedAt) in segment \(name)"
                if error.code == .corrupt && error.message.contains(expected)
                    && error.location == .init(file: name, offset: Int64(damagedAt))
                {
                    detected += 1
                } else if error.code == .corrupt {
                    detected += 1
                    misframed += 1
                    failures.append("flip of bit \(bit): \(error.message)")
                } else {
                    failures.append("flip of bit \(bit): unexpected \(error)")
                }
            }
        }
        printFigures("T4", pass: detected == 1000 && silentAccept == 0 && misframed == 0, [
            ("seed", seed), ("flips", 1000), ("detected", detected), ("silent_accept", silentAccept),
            ("misframed", misframed), ("header_flips", headerFlips), ("padding_flips", paddingFlips),
        ])
        #expect(detected == 1000 && silentAccept == 0 && misframed == 0, "\(failures.prefix(5))")
    }
}
