// The transactional outbox on disk: entries inside inbound records (version 3), outbox records,
// the snapshot's outbox section, and replay of all three into the same outbox.
import Caseload
import CaseloadStore
import Outbox
import Testing

@Suite("outbox records")
struct OutboxRecordCodecTests {
    static let entry = OutboxEntry(id: "O-7", destination: "home-health", controlID: "SB7-TPA1", payload: Array("MSH|^~\\&|SWITCHBOARD\rRF1|P\r".utf8),
                                   subject: "REF^I12 OUT-V1-home-health", createdAt: 1_795_000_000_123)

    static func discharge(outbound: [OutboxEntry]) -> InboundRecord {
        var record = InboundRecordCodecTests.sample()
        record.disposition = .accepted
        record.ackCode = "AA"
        record.errors = []
        let referral = Referral(id: "OUT-V1-home-health", patientID: "GHH:M1", direction: .outbound, partner: "home-health",
                                priority: "R", type: "Hom", reason: "Home health care after discharge", updatedAt: 1_795_000_000, source: "V1")
        record.caseload = CaseloadDecision(events: [.referral(referral)], patientID: "GHH:M1", changes: ["referral made"], at: 1_795_000_000)
        record.outbound = outbound
        return record
    }

    @Test func anInboundRecordCarriesItsOutboxEntriesAndTheReferralsSource() throws {
        let record = Self.discharge(outbound: [Self.entry, OutboxEntry(id: "O-8", destination: "snf", controlID: "SB8-TPA1", payload: [], createdAt: 9)])
        let decoded = try InboundRecordCodec.decode(InboundRecordCodec.encode(record))
        #expect(decoded == record)
        guard case .referral(let referral)? = decoded.caseload?.events.first else { Issue.record("no referral event"); return }
        #expect(referral.source == "V1")
    }

    @Test func version2RecordsAndOldReferralEventsStillDecode() throws {
        // A version 3 record with no entries is the version 2 layout plus a u32 count of zero.
        var payload = InboundRecordCodec.encode(Self.discharge(outbound: []))
        payload.removeLast(4)
        payload[1] = 2
        let old = try InboundRecordCodec.decode(payload)
        #expect(old.outbound.isEmpty && old.caseload != nil)
        // A referral event of the first layout (tag 6) has no source.
        var events = CaseloadEventCodec.encode(old.caseload!.events)
        #expect(events[4] == 7)
        events[4] = 6
        events.removeLast(4)
        guard case .referral(let referral)? = try CaseloadEventCodec.decode(events).first else { Issue.record("no referral"); return }
        #expect(referral.source.isEmpty && referral.id == "OUT-V1-home-health")
    }

    @Test func everyOutboxChangeRoundTripsAndTruncationsAreErrors() throws {
        let changes: [OutboxChange] = [
            .attempted(id: "O-7", attempt: 3, at: 10), .delivered(id: "O-7", at: 11, outcome: "AA"),
            .retryScheduled(id: "O-7", notBefore: 12, outcome: "AR: busy"), .deadLettered(id: "O-7", at: 13, outcome: "AE"),
            .retried(id: "O-7", at: 14), .dropped(id: "O-7", at: 15), .enqueued(Self.entry),
        ]
        for change in changes {
            let record = OutboxRecord(recordedAtMicroseconds: 99, destination: "home-health", change: change, actor: "ops-jane")
            let payload = OutboxRecordCodec.encode(record)
            #expect(InboundRecordCodec.kind(of: payload) == .outbox)
            #expect(try OutboxRecordCodec.decode(payload) == record)
            for length in 0..<payload.count {
                #expect(throws: RecordDecodingError.self) { try OutboxRecordCodec.decode(Array(payload.prefix(length))) }
            }
        }
    }

    @Test func replayingTheRecordsRebuildsTheOutbox() throws {
        var live = OutboxState()
        var payloads: [[UInt8]] = []
        payloads.append(InboundRecordCodec.encode(Self.discharge(outbound: [Self.entry])))
        live.enqueue(Self.entry)
        var rejected = Self.discharge(outbound: [OutboxEntry(id: "O-9", destination: "home-health", controlID: "X", payload: [], createdAt: 1)])
        rejected.disposition = .rejected  // entries of a message not accepted never count
        payloads.append(InboundRecordCodec.encode(rejected))
        let steps: [(inout DestinationQueue) -> OutboxChange?] = [
            { $0.startAttempt(now: 2_000_000_000_000) },
            { $0.finishAttempt(.ack(code: "AR", controlID: "SB7-TPA1"), now: 2_000_000_000_001, random: 0.5) },
        ]
        for step in steps {
            let made = live.withQueue("home-health", step)
            let change = try #require(made)
            payloads.append(OutboxRecordCodec.encode(OutboxRecord(recordedAtMicroseconds: 1, destination: "home-health", change: change)))
        }
        var replayed = StoreState()
        for (index, payload) in payloads.enumerated() {
            let applied = replayed.apply(payload: payload, sequence: UInt64(index + 1))
            #expect(applied)
        }
        #expect(replayed.outbox == live)
        #expect(replayed.outbox.queues["home-health"]?.open.first?.attempts == 1)
        #expect(replayed.outbox.queues["home-health"]?.open.first?.lastOutcome.hasPrefix("AR") == true)
        #expect(replayed.outbox.nextNumber == 8)
    }

    @Test func aSnapshotKeepsTheOutboxAndFormat1SnapshotsReadAsEmpty() throws {
        var outbox = OutboxState()
        outbox.enqueue(Self.entry)
        outbox.enqueue(OutboxEntry(id: "O-8", destination: "home-health", controlID: "SB8", payload: [1, 2], createdAt: 5))
        _ = outbox.withQueue("home-health") { $0.startAttempt(now: 2_000_000_000_000) }
        _ = outbox.withQueue("home-health") { $0.finishAttempt(.ack(code: "AA", controlID: "SB7-TPA1"), now: 2_000_000_000_001, random: 0) }
        let blob = StoreSnapshotCodec.encode(StoreSnapshot(caseload: CaseloadState(), duplicates: [], outbox: outbox))
        let decoded = try StoreSnapshotCodec.decode(blob)
        #expect(decoded.outbox == outbox)
        #expect(decoded.outbox.queues["home-health"]?.recent.map(\.id) == ["O-7"])
        #expect(decoded.outbox.nextNumber == 9)

        // Format 1 had no outbox section: the last section (tag 18) removed, the version set to 1.
        var old = blob
        let section = try #require(Self.sectionRange(tag: 18, in: old))
        old.removeSubrange(section)
        old[8] = 1
        #expect(StoreSnapshotCodec.isReadable(old))
        #expect(try StoreSnapshotCodec.decode(old).outbox == OutboxState())
        // A format 2 snapshot without its outbox section is refused.
        var missing = blob
        missing.removeSubrange(section)
        #expect(throws: RecordDecodingError.self) { try StoreSnapshotCodec.decode(missing) }
    }

    /// The byte range (tag, length and body) of a snapshot section.
    static func sectionRange(tag: UInt8, in blob: [UInt8]) -> Range<Int>? {
        var offset = 12
        while offset + 9 <= blob.count {
            var length = 0
            for i in 0..<8 { length |= Int(blob[offset + 1 + i]) << (8 * i) }
            let end = offset + 9 + length
            if blob[offset] == tag { return offset..<end }
            offset = end
        }
        return nil
    }
}
