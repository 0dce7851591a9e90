// Process-wide facilities `serve` hands the daemon: logging, metrics, systemd, reload.
public import Prometheus

/// What the daemon needs from the process around it, set up once by `switchboard serve`.
public struct DaemonRuntime: Sendable {
    /// The shared, reloadable log level and PHI switch.
    public var logSettings: LogSettings
    /// The Prometheus registry `/metrics` renders (the one swift-metrics was bootstrapped with).
    public var metricsRegistry: PrometheusCollectorRegistry
    /// The systemd notify channel (a no-op outside systemd).
    public var notifier: SystemdNotifier
    /// Rebuilds the configuration on SIGHUP; `nil`: SIGHUP is not trapped.
    public var reloadConfiguration: (@Sendable () async throws -> DaemonConfiguration)?

    public init(
        logSettings: LogSettings, metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        notifier: SystemdNotifier = SystemdNotifier(socketPath: nil, watchdogInterval: nil),
        reloadConfiguration: (@Sendable () async throws -> DaemonConfiguration)? = nil
    ) {
        self.logSettings = logSettings
        self.metricsRegistry = metricsRegistry
        self.notifier = notifier
        self.reloadConfiguration = reloadConfiguration
    }
}
