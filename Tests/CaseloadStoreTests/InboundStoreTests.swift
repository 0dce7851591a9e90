import CaseloadStore
import Journal
import Logging
import SwitchboardTestSupport
import Testing

@Suite("Inbound store")
struct InboundStoreTests {
    private func record(_ id: String, _ disposition: InboundRecord.Disposition, at time: Int64) -> InboundRecord {
        let raw = Array("MSH|^~\\&|APP|FAC|||x||ADT^A01|\(id)|P|2.5.1\r".utf8)
        return InboundRecord(
            receivedAtMicroseconds: time, listener: "mllp", peer: "127.0.0.1:1", disposition: disposition, encoding: .er7,
            sendingApplication: "APP", sendingFacility: "FAC", controlID: id, messageType: "ADT^A01", ackCode: "AA",
            contentHash: ContentHash.hash(raw), ack: Array("ACK \(id)".utf8), raw: raw)
    }

    @Test func rebuildsTheIndexFromAcceptedRecordsInsideTheWindow() async throws {
        let disk = CrashSimStorage()
        try disk.createDirectory("/state")
        let configuration = JournalConfiguration(directory: "/state/journal")
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let day: Int64 = 86_400_000_000
        do {
            let journal = try await FileJournal.open(configuration, storage: disk)
            for item in [record("OLD", .accepted, at: 0), record("NEW", .accepted, at: 10 * day),
                         record("BAD", .rejected, at: 10 * day)] {
                _ = try await journal.append(InboundRecordCodec.encode(item))
            }
            _ = try await journal.append([0xFF, 0x00])  // another kind of record: skipped
            await journal.close()
        }
        let journal = try await FileJournal.open(configuration, storage: disk)
        let store = try await InboundStore.open(
            journal: journal, duplicates: .init(retentionSeconds: 7 * 86_400), logger: logger, nowMicroseconds: 11 * day)
        #expect(store.duplicates.count == 1)
        let newKey = DuplicateKey(sendingApplication: "APP", sendingFacility: "FAC", controlID: "NEW")
        let hash = record("NEW", .accepted, at: 0).contentHash
        #expect(store.duplicates.claim(newKey, hash: hash) { _ in } == .duplicate(ack: Array("ACK NEW".utf8), sequence: 2))
        let oldKey = DuplicateKey(sendingApplication: "APP", sendingFacility: "FAC", controlID: "OLD")
        #expect(store.duplicates.claim(oldKey, hash: 0) { _ in } == .new)
        let badKey = DuplicateKey(sendingApplication: "APP", sendingFacility: "FAC", controlID: "BAD")
        #expect(store.duplicates.claim(badKey, hash: 0) { _ in } == .new)
        await journal.close()
    }
}
