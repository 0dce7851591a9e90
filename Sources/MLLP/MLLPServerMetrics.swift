// Counters of one listener's connection events (swift-metrics; exported by the daemon).
import Metrics

/// Connection-level counters of a listener, created once (never per message).
final class MLLPServerMetrics: Sendable {
    enum CloseReason: String, CaseIterable {
        case idle, frameTimeout = "frame_timeout", framing, tls, error
    }

    private let accepted: Counter
    private let refused: [ConnectionLimiter.Refusal: Counter]
    private let closedBy: [String: Counter]
    private let open: Gauge

    init(listener: String) {
        accepted = Counter(label: "mllp_connections_accepted_total", dimensions: [("listener", listener)])
        open = Gauge(label: "mllp_connections_open", dimensions: [("listener", listener)])
        refused = Dictionary(uniqueKeysWithValues: ConnectionLimiter.Refusal.allCases.map {
            ($0, Counter(label: "mllp_connections_refused_total", dimensions: [("listener", listener), ("reason", $0.rawValue)]))
        })
        closedBy = Dictionary(uniqueKeysWithValues: CloseReason.allCases.map {
            ($0.rawValue, Counter(label: "mllp_connections_closed_total", dimensions: [("listener", listener), ("reason", $0.rawValue)]))
        })
    }

    func acceptedConnection() { accepted.increment() }
    func refusedConnection(_ reason: ConnectionLimiter.Refusal) { refused[reason]?.increment() }
    func closed(_ reason: CloseReason) { closedBy[reason.rawValue]?.increment() }
    /// Records how many connections are open now.
    func openConnections(_ count: Int) { open.record(count) }
}
