import Testing
import Journal

@Suite("Record framing and file names")
struct RecordFormatTests {
    private func frame(_ payload: [UInt8], sequence: UInt64 = 7) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: RecordHeader.size + payload.count)
        bytes.withUnsafeMutableBytes { buffer in
            var header = RecordHeader(payloadLength: UInt32(payload.count), sequence: sequence, syncedThrough: 6, timestamp: 42)
            header.store(into: buffer, at: 0)
            payload.withUnsafeBytes { (buffer.baseAddress! + RecordHeader.size).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            header.checksum = RecordHeader.computeChecksum(UnsafeRawBufferPointer(buffer), at: 0, payloadLength: payload.count)
            header.store(into: buffer, at: 0)
        }
        return bytes
    }

    @Test func layoutIsLittleEndianAsDocumented() {
        let bytes = frame([1, 2, 3])
        #expect(Array(bytes[0..<4]) == Array("SBJR".utf8))
        #expect(Array(bytes[4..<8]) == [3, 0, 0, 0])
        #expect(Array(bytes[8..<16]) == [7, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[16..<24]) == [6, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[24..<32]) == [42, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[32..<36]) == [0, 0, 0, 0])
        var crc = CRC32C()
        crc.update(bytes[0..<36])
        crc.update(bytes[40...])
        let stored = UInt32(bytes[36]) | UInt32(bytes[37]) << 8 | UInt32(bytes[38]) << 16 | UInt32(bytes[39]) << 24
        #expect(stored == crc.value)
        #expect(Array(bytes[40...]) == [1, 2, 3])
    }

    @Test func validFrameRoundTrips() {
        let bytes = frame(Array("hello".utf8))
        let result = bytes.withUnsafeBytes { validateFrame($0, at: 0, available: $0.count, maxPayload: 100) }
        guard case .success(let header) = result else {
            Issue.record("expected a valid frame, got \(result)")
            return
        }
        #expect(header.sequence == 7 && header.payloadLength == 5 && header.timestamp == 42)
    }

    @Test func everyKindOfDamageIsNamed() {
        let good = frame(Array("hello world".utf8))
        func check(_ bytes: [UInt8], maxPayload: Int = 100) -> FrameProblem? {
            let result = bytes.withUnsafeBytes { validateFrame($0, at: 0, available: $0.count, maxPayload: maxPayload) }
            if case .failure(let problem) = result { return problem }
            return nil
        }
        #expect(check(Array(good[0..<10])) == .truncatedHeader(available: 10))
        var magic = good
        magic[0] ^= 1
        #expect(check(magic) == .badMagic)
        #expect(check(good, maxPayload: 5) == .lengthTooLarge(11, limit: 5))
        #expect(check(Array(good.dropLast())) == .truncatedPayload(needed: good.count, available: good.count - 1))
        var flipped = good
        flipped[45] ^= 0x10
        if case .checksumMismatch = check(flipped) {} else { Issue.record("payload flip not caught") }
    }

    @Test func fileNamesSortBySequence() {
        let names = ([1, 10, 9, 100, .max] as [UInt64]).map { JournalFileName.segment(firstSequence: $0).name }
        #expect(names.sorted() == ([1, 9, 10, 100, .max] as [UInt64]).map { JournalFileName.segment(firstSequence: $0).name })
        #expect(JournalFileName.segment(firstSequence: 1).name == "segment-00000000000000000001.log")
        #expect(JournalFileName(parsing: "snapshot-00000000000000000042.snap") == .snapshot(sequence: 42))
        #expect(JournalFileName(parsing: "snapshot-00000000000000000042.snap.tmp") == .snapshotTemporary(sequence: 42))
        #expect(JournalFileName(parsing: "segment-1.log") == nil)
        #expect(JournalFileName(parsing: "torn-segment-00000000000000000001.log-at-5.bin") == nil)
    }

    @Test func snapshotImageRoundTripsAndRejectsDamage() {
        let snapshot = JournalSnapshot(sequence: 9, createdAt: 5, blob: Array("state".utf8))
        let image = SnapshotFormat.encode(snapshot)
        #expect((try? SnapshotFormat.decode(image, expectedSequence: 9).get()) == snapshot)
        for index in image.indices {
            var damaged = image
            damaged[index] ^= 0x04
            #expect((try? SnapshotFormat.decode(damaged, expectedSequence: 9).get()) == nil, "flip at \(index)")
        }
        #expect((try? SnapshotFormat.decode(image, expectedSequence: 8).get()) == nil)
    }
}
