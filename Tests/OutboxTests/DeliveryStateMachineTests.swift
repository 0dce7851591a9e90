// The per-destination delivery state machine under a manual clock: order, one in flight, the
// same control id on every attempt, backoff with jitter up to its cap, dead letters, stale ACKs,
// operator retry and drop, and replay of the journaled changes after a crash mid-attempt.
import Outbox
import Testing

@Suite("delivery state machine")
struct DeliveryStateMachineTests {
    /// A queue, a manual clock and the journal of its changes.
    struct Harness {
        var queue: DestinationQueue
        var now: Int64 = 1_000_000
        var journal: [OutboxChange] = []

        init(policy: DeliveryPolicy = DeliveryPolicy(), entries: Int) {
            queue = DestinationQueue(destination: "home-health", policy: policy)
            for n in 1...max(entries, 1) where entries > 0 {
                journal.append(queue.enqueue(OutboxEntry(id: "O-\(n)", destination: "home-health", controlID: "SBREF-\(n)",
                                                         payload: Array("REF \(n)".utf8), subject: "R-\(n)", createdAt: now)))
            }
        }

        /// Sends the head if it is due and answers it; returns the control id sent.
        @discardableResult
        mutating func attempt(_ answer: (String) -> DeliveryAnswer, random: Double = 0.5) -> String? {
            guard case .send(let entry) = queue.nextStep(now: now), let started = queue.startAttempt(now: now) else { return nil }
            journal.append(started)
            if let finished = queue.finishAttempt(answer(entry.controlID), now: now, random: random) { journal.append(finished) }
            return entry.controlID
        }
    }

    @Test func deliversInOrderOneAtATime() {
        var h = Harness(entries: 3)
        guard case .send(let first) = h.queue.nextStep(now: h.now) else { Issue.record("nothing to send"); return }
        #expect(first.id == "O-1")
        _ = h.queue.startAttempt(now: h.now)
        #expect(h.queue.nextStep(now: h.now) == .idle)  // one in flight: O-2 waits
        _ = h.queue.finishAttempt(.ack(code: "AA", controlID: "SBREF-1"), now: h.now, random: 0)
        #expect(h.attempt { .ack(code: "CA", controlID: $0) } == "SBREF-2")
        #expect(h.attempt { .ack(code: "AA", controlID: $0) } == "SBREF-3")
        #expect(h.queue.depth == 0 && h.queue.nextStep(now: h.now) == .idle)
        #expect(h.queue.recent.map(\.id) == ["O-1", "O-2", "O-3"] && h.queue.recent.allSatisfy { $0.status == .delivered })
    }

    @Test func retriesKeepTheControlIDAndBackOffExponentiallyUpToTheCap() {
        var policy = DeliveryPolicy()
        policy.initialBackoffMilliseconds = 1_000
        policy.maxBackoffMilliseconds = 8_000
        policy.maxAttempts = 6
        var h = Harness(policy: policy, entries: 2)
        var waits: [Int64] = []
        var sent: [String] = []
        for _ in 0..<5 {
            sent.append(h.attempt({ _ in .none("no answer within 30 s") }, random: 0.999_999)!)
            guard case .wait(let until) = h.queue.nextStep(now: h.now) else { Issue.record("expected a wait"); return }
            waits.append(until - h.now)
            #expect(h.attempt { .ack(code: "AA", controlID: $0) } == nil)  // not before its time
            h.now = until
        }
        #expect(Set(sent) == ["SBREF-1"])
        // Equal jitter at random ≈ 1: the full base, doubling from 1 s, capped at 8 s.
        #expect(waits.map { ($0 + 500) / 1_000 } == [1, 2, 4, 8, 8])
        // The sixth attempt is the last: it fails too, so O-1 becomes a dead letter and blocks the queue.
        h.attempt { _ in .ack(code: "AR", controlID: "SBREF-1") }
        #expect(h.queue.open.first?.status == .deadLettered && h.queue.open.first?.attempts == 6)
        #expect(h.queue.open.first?.lastOutcome.contains("6 attempts used") == true)
        #expect(h.queue.nextStep(now: h.now) == .idle)
    }

    @Test func jitterStaysWithinHalfTheBase() {
        let policy = DeliveryPolicy()
        for attempt in 1...12 {
            let low = policy.backoff(afterAttempt: attempt, random: 0)
            let high = policy.backoff(afterAttempt: attempt, random: 0.999_999)
            #expect(low * 2 >= high - 1 && high <= policy.maxBackoffMilliseconds && low >= policy.initialBackoffMilliseconds / 2)
        }
        #expect(policy.backoff(afterAttempt: 1_000, random: 0.5) <= policy.maxBackoffMilliseconds)  // no overflow
    }

    @Test func aRefusalIsADeadLetterAndAStaleAckIsARetry() {
        var h = Harness(entries: 2)
        h.attempt { _ in .ack(code: "AA", controlID: "SOMETHING-ELSE") }  // stale: not ours
        #expect(h.queue.open.first?.status == .pending && h.queue.open.first?.lastOutcome.contains("stale") == true)
        h.now += 10 * 60_000
        h.attempt { .ack(code: "AE", controlID: $0) }
        #expect(h.queue.open.first?.status == .deadLettered)
        #expect(h.queue.nextStep(now: h.now) == .idle)  // in order: O-2 waits behind the dead letter
    }

    @Test func operatorsRetryOrDropDeadLetters() throws {
        var h = Harness(entries: 2)
        h.attempt { .ack(code: "CE", controlID: $0) }
        #expect(throws: OutboxActionError.notDeadLettered("O-2", .pending)) { try h.queue.retry("O-2", now: h.now) }
        #expect(throws: OutboxActionError.unknownEntry("O-9")) { try h.queue.drop("O-9", now: h.now) }
        h.journal.append(try h.queue.retry("O-1", now: h.now))
        #expect(h.queue.open.first?.attempts == 0)
        #expect(h.attempt { .ack(code: "AA", controlID: $0) } == "SBREF-1")
        h.attempt { .ack(code: "AE", controlID: $0) }
        h.journal.append(try h.queue.drop("O-2", now: h.now))
        #expect(h.queue.depth == 0 && h.queue.recent.last?.status == .dropped)
    }

    @Test func replayingTheJournalAfterACrashMidAttemptResumesWithTheSameControlID() {
        var h = Harness(entries: 2)
        h.attempt { _ in .none("connection refused") }
        h.now += 60_000
        // The next attempt starts (journaled) and the process dies before the answer.
        h.journal.append(h.queue.startAttempt(now: h.now)!)
        var restarted = DestinationQueue(destination: "home-health")
        for change in h.journal { restarted.apply(change) }
        restarted.resetInFlight()
        guard case .send(let entry) = restarted.nextStep(now: h.now) else { Issue.record("nothing to resend"); return }
        #expect(entry.id == "O-1" && entry.controlID == "SBREF-1" && entry.attempts == 2)
        #expect(restarted.open.map(\.id) == ["O-1", "O-2"])
    }
}
