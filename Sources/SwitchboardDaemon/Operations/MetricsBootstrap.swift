// swift-metrics → Prometheus, once per process, with buckets that fit an MLLP daemon.
import CoreMetrics
public import Prometheus

/// Bootstraps swift-metrics with a Prometheus factory. Call once, before the daemon creates any
/// instrument (instruments made earlier stay bound to the no-op backend).
public enum MetricsBootstrap {
    public static func prometheus() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // ACKs and fsyncs take from tens of microseconds to (on a sick disk) seconds.
        let latencyBuckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
        ]
        factory.durationHistogramBuckets = [
            "switchboard_ack_latency_seconds": latencyBuckets,
            "switchboard_journal_fsync_seconds": latencyBuckets,
        ]
        factory.valueHistogramBuckets = [
            "switchboard_journal_batch_records": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
