import CaseloadStore
import Synchronization
import Testing

@Suite("Duplicate index")
struct DuplicateIndexTests {
    let key = DuplicateKey(sendingApplication: "ADT1", sendingFacility: "HOSP", controlID: "MSG-1")
    let ack: [UInt8] = Array("MSH|...\rMSA|AA|MSG-1\r".utf8)

    @Test func newThenStoredThenDuplicate() {
        let index = DuplicateIndex()
        #expect(index.claim(key, hash: 1) { _ in Issue.record("no waiter expected") } == .new)
        index.commit(key, ack: ack, sequence: 7, receivedAtMicroseconds: 0)
        #expect(index.claim(key, hash: 1) { _ in } == .duplicate(ack: ack, sequence: 7))
        #expect(index.claim(key, hash: 2) { _ in } == .conflict(originalSequence: 7))
        #expect(index.count == 1)
    }

    @Test func copyInFlightWaitsForTheOriginal() {
        let index = DuplicateIndex()
        let heard = Mutex<[DuplicateIndex.Resolution]>([])
        #expect(index.claim(key, hash: 1) { _ in } == .new)
        #expect(index.claim(key, hash: 1) { resolution in heard.withLock { $0.append(resolution) } } == .waiting)
        #expect(index.claim(key, hash: 9) { _ in } == .conflict(originalSequence: nil))
        #expect(heard.withLock { $0.isEmpty })
        index.commit(key, ack: ack, sequence: 3, receivedAtMicroseconds: 0)
        #expect(heard.withLock { $0 } == [.stored(ack: ack)])
    }

    @Test func abandonedKeyIsFreeAgainAndWaitersHear() {
        let index = DuplicateIndex()
        let heard = Mutex<[DuplicateIndex.Resolution]>([])
        #expect(index.claim(key, hash: 1) { _ in } == .new)
        _ = index.claim(key, hash: 1) { resolution in heard.withLock { $0.append(resolution) } }
        index.abandon(key)
        #expect(heard.withLock { $0 } == [.failed])
        #expect(index.claim(key, hash: 1) { _ in } == .new)
        #expect(index.count == 0)
    }

    @Test func retentionByCountForgetsTheOldest() {
        let index = DuplicateIndex(configuration: .init(maxEntries: 3))
        for n in 0..<5 {
            let k = DuplicateKey(sendingApplication: "A", sendingFacility: "F", controlID: "\(n)")
            #expect(index.claim(k, hash: 1) { _ in } == .new)
            index.commit(k, ack: ack, sequence: UInt64(n + 1), receivedAtMicroseconds: Int64(n))
        }
        #expect(index.count == 3)
        #expect(index.claim(.init(sendingApplication: "A", sendingFacility: "F", controlID: "0"), hash: 1) { _ in } == .new)
        #expect(index.claim(.init(sendingApplication: "A", sendingFacility: "F", controlID: "4"), hash: 1) { _ in }
            == .duplicate(ack: ack, sequence: 5))
    }

    @Test func retentionByTimeForgetsOldKeys() {
        let index = DuplicateIndex(configuration: .init(retentionSeconds: 60))
        #expect(index.claim(key, hash: 1) { _ in } == .new)
        index.commit(key, ack: ack, sequence: 1, receivedAtMicroseconds: 0)
        index.expire(nowMicroseconds: 59_000_000)
        #expect(index.count == 1)
        index.expire(nowMicroseconds: 61_000_000)
        #expect(index.count == 0)
        #expect(index.claim(key, hash: 1) { _ in } == .new)
    }

    @Test func loadKeepsTheFirstStore() {
        let index = DuplicateIndex()
        index.load(key, hash: 1, ack: ack, sequence: 1, receivedAtMicroseconds: 0)
        index.load(key, hash: 2, ack: [], sequence: 9, receivedAtMicroseconds: 1)
        #expect(index.claim(key, hash: 1) { _ in } == .duplicate(ack: ack, sequence: 1))
    }
}
