// Per-message instruments of the daemon (swift-metrics; exported as Prometheus on /metrics),
// and the running totals the systemd STATUS= line shows.
import CaseloadStore
import Integration
import Metrics
import Synchronization

/// Counts what the inbound path did. Counters are created once per label set and cached:
/// a message costs one dictionary lookup under a lock and a few atomic adds.
final class InboundMetrics: Sendable {
    /// At most this many distinct (listener, type, ack) label sets; later ones count as
    /// `type="other"` so a sender inventing message types cannot blow up the series count.
    static let maxLabelSets = 512

    private let counters = Mutex<[String: Counter]>([:])
    private let latency = Metrics.Timer(label: "switchboard_ack_latency_seconds")
    private let duplicates = Counter(label: "switchboard_duplicates_total")
    private let quarantined = Counter(label: "switchboard_quarantined_total")
    private let storageFailures = Counter(label: "switchboard_storage_failures_total")
    private let bytes = Counter(label: "switchboard_inbound_bytes_total")

    private let totalMessages = Atomic<Int>(0)
    private let totalNegative = Atomic<Int>(0)

    /// Messages answered (or handled) since start, and how many of them got AE/AR/CE/CR.
    var totals: (messages: Int, negative: Int) {
        (totalMessages.load(ordering: .relaxed), totalNegative.load(ordering: .relaxed))
    }

    /// Records one frame's outcome and how long its answer took.
    func record(_ result: InboundResult, listener: String, elapsed: Duration) {
        let ack = result.ack == nil ? "none" : (result.ackCode.isEmpty ? "none" : result.ackCode)
        counter(listener: listener, type: Self.typeLabel(result.messageType), ack: ack).increment()
        latency.recordInterval(elapsed)
        bytes.increment(by: result.bytes)
        if result.duplicate { duplicates.increment() }
        if result.disposition == .quarantined { quarantined.increment() }
        if result.storageFailure != nil { storageFailures.increment() }
        totalMessages.add(1, ordering: .relaxed)
        if ack != "AA" && ack != "CA" && ack != "none" { totalNegative.add(1, ordering: .relaxed) }
    }

    private func counter(listener: String, type: String, ack: String) -> Counter {
        let key = listener + "|" + type + "|" + ack
        return counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let label = cache.count < Self.maxLabelSets ? type : "other"
            let otherKey = listener + "|" + label + "|" + ack
            if let counter = cache[otherKey] { return counter }
            let counter = Counter(label: "switchboard_messages_total",
                                  dimensions: [("listener", listener), ("type", label), ("ack", ack)])
            cache[label == type ? key : otherKey] = counter
            return counter
        }
    }

    /// `ADT^A01`-like types as they are; anything else (empty, odd characters, too long) as
    /// `unknown`, so label values stay tame.
    static func typeLabel(_ type: String) -> String {
        let utf8 = type.utf8
        guard !utf8.isEmpty, utf8.count <= 15,
              utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x5E || $0 == 0x5F })
        else { return "unknown" }
        return type
    }
}

extension Metrics.Timer {
    /// Records a `Duration` (swift-metrics takes nanoseconds).
    func recordInterval(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
