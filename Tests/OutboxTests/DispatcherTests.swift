// The dispatcher over a scripted transport: connect failures back off without using attempts,
// AR / no answer / a stale ACK retry with the same MSH-10 on a fresh connection, AE dead-letters
// and blocks the queue until an operator retries, and entries go one at a time, in order.
import Logging
import Outbox
import Synchronization
import Testing

/// The outbox in memory: what the daemon's engine does, without the journal.
final class MemoryLedger: OutboxLedger {
    let state: Mutex<OutboxState>
    let changes = Mutex<[OutboxChange]>([])

    init(_ entries: [OutboxEntry]) {
        var outbox = OutboxState()
        for entry in entries { outbox.enqueue(entry) }
        state = Mutex(outbox)
    }

    func nextStep(for destination: String, now: Int64) -> DeliveryStep {
        state.withLock { $0.queues[destination]?.nextStep(now: now) ?? .idle }
    }

    func startAttempt(for destination: String, now: Int64) -> OutboxEntry? {
        state.withLock { outbox -> OutboxEntry? in
            guard let change = outbox.withQueue(destination, { $0.startAttempt(now: now) }) else { return nil }
            changes.withLock { $0.append(change) }
            return outbox.queues[destination]?.open.first
        }
    }

    func finishAttempt(for destination: String, entryID: String, answer: DeliveryAnswer, policy: DeliveryPolicy, now: Int64,
                       random: Double) -> OutboxChange? {
        state.withLock { outbox -> OutboxChange? in
            guard let change = outbox.withQueue(destination, { queue -> OutboxChange? in
                queue.policy = policy
                return queue.finishAttempt(answer, now: now, random: random)
            }) else { return nil }
            changes.withLock { $0.append(change) }
            return change
        }
    }

    var delivered: [String] { state.withLock { $0.queues["home-health"]?.recent.filter { $0.status == .delivered }.map(\.id) ?? [] } }
    var open: [OutboxEntry] { state.withLock { $0.queues["home-health"].map { Array($0.open) } ?? [] } }
}

/// A partner whose behaviour is scripted per connect and per frame.
final class ScriptedPartner: Sendable {
    enum Reply: Sendable { case ack(String), wrongID, timeout }

    struct Log: Sendable {
        var connects = 0
        var refusedConnects = 0
        var sent: [String] = []
        var inFlight = 0
        var maxInFlight = 0
        var closes = 0
    }

    let log = Mutex(Log())
    let refuseConnects: Int
    let replies: Mutex<[Reply]>

    init(refuseConnects: Int = 0, replies: [Reply]) {
        self.refuseConnects = refuseConnects
        self.replies = Mutex(replies)
    }

    struct ConnectRefused: Error, CustomStringConvertible { var description: String { "connection refused" } }
    struct NoAnswer: Error, CustomStringConvertible { var description: String { "no answer within the timeout" } }

    func connect() throws -> any MessageTransport {
        try log.withLock { log in
            if log.refusedConnects < refuseConnects {
                log.refusedConnects += 1
                throw ConnectRefused()
            }
            log.connects += 1
            return Connection(partner: self)
        }
    }

    struct Connection: MessageTransport {
        let partner: ScriptedPartner

        func send(_ payload: [UInt8], timeoutMilliseconds: Int64) async throws -> [UInt8] {
            let controlID = String(decoding: payload, as: UTF8.self)
            partner.log.withLock { log in
                log.sent.append(controlID)
                log.inFlight += 1
                log.maxInFlight = max(log.maxInFlight, log.inFlight)
            }
            await Task.yield()
            partner.log.withLock { $0.inFlight -= 1 }
            let reply = partner.replies.withLock { $0.isEmpty ? .ack("AA") : $0.removeFirst() }
            switch reply {
            case .ack(let code): return Array("\(code)|\(controlID)".utf8)
            case .wrongID: return Array("AA|SOMEONE-ELSE".utf8)
            case .timeout: throw NoAnswer()
            }
        }

        func close() async { partner.log.withLock { $0.closes += 1 } }

        var isOpen: Bool { true }
    }
}

@Suite("outbox dispatcher")
struct DispatcherTests {
    /// Tiny backoffs: the test waits milliseconds, and asserts on what happened, not on time.
    static let policy: DeliveryPolicy = {
        var policy = DeliveryPolicy()
        policy.initialBackoffMilliseconds = 1
        policy.maxBackoffMilliseconds = 4
        policy.maxAttempts = 6
        return policy
    }()

    static func entries(_ count: Int) -> [OutboxEntry] {
        (1...count).map { OutboxEntry(id: "O-\($0)", destination: "home-health", controlID: "SB\($0)", payload: Array("SB\($0)".utf8), createdAt: 0) }
    }

    /// "CODE|MSA-2" → an ACK.
    static let interpret: AnswerInterpreter = { frame in
        let parts = String(decoding: frame, as: UTF8.self).split(separator: "|").map(String.init)
        guard parts.count == 2 else { return .none("not an ACK") }
        return .ack(code: parts[0], controlID: parts[1])
    }

    /// Runs a dispatcher until `done` holds, then stops it. The bound is generous: under a
    /// loaded test run the cooperative pool can leave the dispatcher waiting for seconds.
    static func run(_ ledger: MemoryLedger, _ partner: ScriptedPartner, until done: @escaping @Sendable () -> Bool) async {
        let dispatcher = DestinationDispatcher(
            destination: "home-health", ledger: ledger, connect: { _, _ in try partner.connect() }, interpret: interpret,
            policy: { policy }, clock: { Self.milliseconds() },
            random: { 0.5 }, logger: Logger(label: "test"))
        let task = Task { await dispatcher.run() }
        let deadline = ContinuousClock.now + .seconds(600)
        while !done(), ContinuousClock.now < deadline {
            dispatcher.wake()
            try? await Task.sleep(for: .milliseconds(2))
        }
        task.cancel()
        await task.value
    }

    static let origin = ContinuousClock.now

    /// A monotonic millisecond clock.
    static func milliseconds() -> Int64 {
        let elapsed = origin.duration(to: .now).components
        return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
    }

    @Test func faultsRetryWithTheSameControlIDAndAnOutageUsesNoAttempts() async {
        let ledger = MemoryLedger(Self.entries(2))
        let partner = ScriptedPartner(refuseConnects: 3, replies: [.ack("AR"), .wrongID, .timeout, .ack("AA"), .ack("CA")])
        await Self.run(ledger, partner) { ledger.delivered.count == 2 }
        #expect(ledger.delivered == ["O-1", "O-2"])
        let log = partner.log.withLock { $0 }
        #expect(log.sent == ["SB1", "SB1", "SB1", "SB1", "SB2"])
        #expect(log.maxInFlight == 1)
        // Three refused connects used none of O-1's attempts; AR kept the connection, the stale
        // ACK and the timeout each closed it.
        #expect(log.refusedConnects == 3)
        #expect(log.connects == 3 && log.closes >= 2)
        let attempts = ledger.changes.withLock { $0.compactMap { if case .attempted(let id, let n, _) = $0 { "\(id)#\(n)" } else { nil } } }
        #expect(attempts == ["O-1#1", "O-1#2", "O-1#3", "O-1#4", "O-2#1"])
    }

    @Test func aRefusalDeadLettersAndBlocksTheQueueUntilRetried() async throws {
        let ledger = MemoryLedger(Self.entries(3))
        let partner = ScriptedPartner(replies: [.ack("AE")])
        await Self.run(ledger, partner) { ledger.open.first?.status == .deadLettered }
        #expect(ledger.open.map(\.id) == ["O-1", "O-2", "O-3"])
        #expect(partner.log.withLock { $0.sent } == ["SB1"])  // in order: nothing overtakes a dead letter
        _ = try ledger.state.withLock { outbox throws(OutboxActionError) in try outbox.withQueue("home-health") { queue throws(OutboxActionError) in try queue.retry("O-1", now: 0) } }
        await Self.run(ledger, partner) { ledger.delivered.count == 3 }
        #expect(ledger.delivered == ["O-1", "O-2", "O-3"])
        #expect(partner.log.withLock { $0.sent } == ["SB1", "SB1", "SB2", "SB3"])
    }

    @Test func newWorkDoesNotCutAConnectBackoffShort() async throws {
        let slow: DeliveryPolicy = {
            var policy = Self.policy
            policy.initialBackoffMilliseconds = 3_600_000  // an hour: no second connect in this test, however loaded
            policy.maxBackoffMilliseconds = 3_600_000
            return policy
        }()
        let ledger = MemoryLedger(Self.entries(1))
        let partner = ScriptedPartner(refuseConnects: 100, replies: [])
        let dispatcher = DestinationDispatcher(
            destination: "home-health", ledger: ledger, connect: { _, _ in try partner.connect() }, interpret: Self.interpret,
            policy: { slow }, clock: { Self.milliseconds() }, random: { 0.5 }, logger: Logger(label: "test"))
        let task = Task { await dispatcher.run() }
        while partner.log.withLock({ $0.refusedConnects }) == 0 { try await Task.sleep(for: .milliseconds(1)) }
        // Entries committed while the partner is down wake the dispatcher: it must keep waiting.
        for _ in 0..<200 {
            dispatcher.wake()
            await Task.yield()
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await task.value
        #expect(partner.log.withLock { $0.refusedConnects } == 1)
        #expect(ledger.open.first?.attempts == 0)
    }

    @Test func runsOutOfAttemptsIntoADeadLetter() async {
        let ledger = MemoryLedger(Self.entries(1))
        let partner = ScriptedPartner(replies: Array(repeating: .ack("AR"), count: 10))
        await Self.run(ledger, partner) { ledger.open.first?.status == .deadLettered }
        #expect(partner.log.withLock { $0.sent.count } == Self.policy.maxAttempts)
        #expect(ledger.open.first?.lastOutcome.contains("6 attempts used") == true)
    }
}
