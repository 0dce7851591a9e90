// Runs one dispatcher per destination with an address, and keeps the outbox metrics.
import Integration
import Logging
import Metrics
import Outbox
import ServiceLifecycle
import Synchronization

/// Delivers the outbox: a ``DestinationDispatcher`` per configured destination, woken when
/// entries are committed or an operator retries one. Entries for a destination with no
/// address wait in the outbox (and show in `/api/v1/outbox` and the metrics).
final class OutboxService: Service {
    private let engine: CaseloadEngine
    private let destinations: [String: DestinationConfiguration]
    private let logger: Logger
    private let dispatchers: [String: DestinationDispatcher]
    private let metrics: OutboxMetrics

    init(engine: CaseloadEngine, destinations: [String: DestinationConfiguration], logger: Logger) {
        self.engine = engine
        self.destinations = destinations
        self.logger = logger
        let metrics = OutboxMetrics()
        self.metrics = metrics
        var dispatchers: [String: DestinationDispatcher] = [:]
        for (name, destination) in destinations {
            guard let address = destination.address else { continue }
            let tls = destination.tls
            let policy = destination.policy
            dispatchers[name] = DestinationDispatcher(
                destination: name, ledger: engine,
                connect: { _, timeout in try await MLLPMessageTransport.connect(address, tls: tls, timeoutMilliseconds: timeout) },
                interpret: DeliveryAnswerReader.read, policy: { policy }, clock: { WallClock.microseconds() / 1000 },
                observe: { metrics.record($0) }, observeConnectFailure: { metrics.connectFailed($0) }, logger: logger)
        }
        self.dispatchers = dispatchers
    }

    func run() async throws {
        let dispatchers = self.dispatchers
        engine.setOutboxListener { names in
            for name in names { dispatchers[name]?.wake() }
        }
        let waiting = engine.readOutbox { outbox in
            outbox.queues.values.filter { $0.depth > 0 }.map { ($0.destination, $0.depth) }
        }
        for (name, depth) in waiting where dispatchers[name] == nil {
            logger.warning("outbox destination has no address: its messages wait", metadata: [
                "outbox.destination": "\(name)", "outbox.depth": "\(depth)",
                "hint": "set destinations.\(name).address or serve --destination \(name)=HOST:PORT"])
        }
        for (name, destination) in destinations.sorted(by: { $0.key < $1.key }) {
            logger.info("outbox destination", metadata: [
                "outbox.destination": "\(name)", "outbox.address": "\(destination.address.map(\.description) ?? "none")",
                "outbox.tls": "\(destination.tls != nil)", "outbox.max_attempts": "\(destination.policy.maxAttempts)"])
        }
        await withTaskGroup(of: Void.self) { group in
            for dispatcher in dispatchers.values {
                group.addTask { await dispatcher.run() }
            }
            group.addTask { [engine, metrics] in
                while !Task.isCancelled {
                    // Figures read under the lock (O(destinations)); no copy of the queues, which
                    // would make the next change copy a whole queue.
                    metrics.update(engine.readOutbox { OutboxMetrics.figures(of: $0) }, now: WallClock.microseconds() / 1000)
                    try? await Task.sleep(for: .seconds(2))
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        engine.setOutboxListener { _ in }
    }
}

/// `switchboard_outbox_*`, labelled by destination.
final class OutboxMetrics: Sendable {
    private struct PerDestination: Sendable {
        let depth: Gauge
        let oldestAge: Gauge
        let deadLetters: Gauge
        let attempts: Counter
        let delivered: Counter
        let retries: Counter
        let deadLettered: Counter
        let connectFailures: Counter
    }

    private let destinations = Mutex<[String: PerDestination]>([:])

    private func metrics(_ name: String) -> PerDestination {
        destinations.withLock { all in
            if let known = all[name] { return known }
            let dimensions = [("destination", name)]
            let made = PerDestination(
                depth: Gauge(label: "switchboard_outbox_depth", dimensions: dimensions),
                oldestAge: Gauge(label: "switchboard_outbox_oldest_age_seconds", dimensions: dimensions),
                deadLetters: Gauge(label: "switchboard_outbox_dead_letters", dimensions: dimensions),
                attempts: Counter(label: "switchboard_outbox_attempts_total", dimensions: dimensions),
                delivered: Counter(label: "switchboard_outbox_delivered_total", dimensions: dimensions),
                retries: Counter(label: "switchboard_outbox_retries_total", dimensions: dimensions),
                deadLettered: Counter(label: "switchboard_outbox_dead_lettered_total", dimensions: dimensions),
                connectFailures: Counter(label: "switchboard_outbox_connect_failures_total", dimensions: dimensions))
            all[name] = made
            return made
        }
    }

    func record(_ outcome: DeliveryOutcome) {
        let m = metrics(outcome.destination)
        m.attempts.increment()
        switch outcome.change {
        case .delivered: m.delivered.increment()
        case .retryScheduled: m.retries.increment()
        case .deadLettered: m.deadLettered.increment()
        default: break
        }
    }

    func connectFailed(_ destination: String) { metrics(destination).connectFailures.increment() }

    /// One destination's gauges.
    struct Figures: Sendable {
        var destination: String
        var depth: Int
        var oldestCreatedAt: Int64?
        var deadLetters: Int
    }

    static func figures(of outbox: borrowing OutboxState) -> [Figures] {
        outbox.queues.values.map {
            Figures(destination: $0.destination, depth: $0.depth, oldestCreatedAt: $0.oldestCreatedAt, deadLetters: $0.deadLetters)
        }
    }

    func update(_ figures: [Figures], now: Int64) {
        for figure in figures {
            let m = metrics(figure.destination)
            m.depth.record(figure.depth)
            m.oldestAge.record(Double(max(now - (figure.oldestCreatedAt ?? now), 0)) / 1000)
            m.deadLetters.record(figure.deadLetters)
        }
    }
}
