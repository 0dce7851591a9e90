// A snapshot holds the caseload exactly: taken after any prefix of a random week and loaded
// back, it equals the saved state field for field (indexes and their order included), and the
// rest of the week decided on it gives the same decisions and the same final hash.
import Caseload
import CaseloadStore
import SwitchboardTestSupport
import Testing

@Suite("snapshots")
struct SnapshotPropertyTests {
    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func snapshotAtAnyPrefixThenTheRestEqualsTheUninterruptedRun(seed: UInt64) throws {
        let stream = ReplayPropertyTests.stream(seed: seed, count: 300)
        let cut = Int(seed * 53 % 300)
        var uninterrupted = Ward()
        for (action, mrn, visit, time) in stream { try uninterrupted.send(action, mrn, visit: visit, at: time) }

        var before = Ward()
        for (action, mrn, visit, time) in stream[..<cut] { try before.send(action, mrn, visit: visit, at: time) }
        let blob = StoreSnapshotCodec.encode(StoreSnapshot(caseload: before.state, duplicates: []))
        let loaded = try StoreSnapshotCodec.decode(blob).caseload
        #expect(loaded.image == before.state.image)

        var after = Ward()
        after.state = loaded
        after.decisions = before.decisions  // audit numbering continues
        for (action, mrn, visit, time) in stream[cut...] { try after.send(action, mrn, visit: visit, at: time) }
        #expect(after.decisions == uninterrupted.decisions, "decisions after the snapshot differ")
        #expect(after.state.canonicalHash == uninterrupted.state.canonicalHash)
        #expect(after.state.image == uninterrupted.state.image)
    }

    @Test func duplicateKeysSurviveTheSnapshot() throws {
        let keys = (1...3).map { n in
            DuplicateIndex.StoredKey(key: DuplicateKey(sendingApplication: "ADT1", sendingFacility: "GHH", controlID: "MSG\(n)"),
                                     hash: UInt64(n) << 40, ack: Array("ACK \(n)".utf8), sequence: UInt64(n * 10),
                                     receivedAtMicroseconds: Int64(n) * 1_000_000)
        }
        let decoded = try StoreSnapshotCodec.decode(StoreSnapshotCodec.encode(StoreSnapshot(caseload: CaseloadState(), duplicates: keys)))
        #expect(decoded.duplicates == keys)
    }

    @Test func aSnapshotFromAnotherFormatIsRefusedWithItsReason() throws {
        var blob = StoreSnapshotCodec.encode(StoreSnapshot(caseload: CaseloadState(), duplicates: []))
        blob[8] = 9  // format version 9
        #expect(throws: RecordDecodingError.self) { try StoreSnapshotCodec.decode(blob) }
        do {
            _ = try StoreSnapshotCodec.decode(blob)
        } catch {
            #expect("\(error)".contains("format 9"))
        }
        var unknownSection = StoreSnapshotCodec.encode(StoreSnapshot(caseload: CaseloadState(), duplicates: []))
        unknownSection += [77, 0, 0, 0, 0, 0, 0, 0, 0]  // tag 77, empty
        #expect(throws: RecordDecodingError.self) { try StoreSnapshotCodec.decode(unknownSection) }
        #expect(throws: RecordDecodingError.self) { try StoreSnapshotCodec.decode(Array(blob.prefix(20))) }
    }
}
