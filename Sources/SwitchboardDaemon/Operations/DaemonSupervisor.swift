// The daemon's own supervisor loop: tells systemd when it is ready, keeps STATUS= current,
// pets the watchdog only while the journal writer answers, and announces STOPPING=1.
import Journal
import Logging
import MLLP
import ServiceLifecycle

/// Runs last in the service group, so graceful shutdown reaches it first: STOPPING=1 goes out
/// before the listeners begin to drain.
struct DaemonSupervisor: Service, CustomStringConvertible {
    var description: String { "supervisor (systemd notify: \(notifier.isEnabled), watchdog: \(notifier.watchdogInterval.map { "\($0)" } ?? "off"))" }

    let servers: [MLLPServer]
    /// Resolves once the admin listener is bound (or at once when there is none).
    let adminBound: @Sendable () async -> Void
    let journal: FileJournal
    let health: DaemonHealth
    let metrics: InboundMetrics
    let notifier: SystemdNotifier
    let logger: Logger
    /// How often the journal is probed and STATUS= refreshed: half the watchdog interval when
    /// systemd set one, else every five seconds.
    var tick: Duration { notifier.watchdogInterval.map { $0 / 2 } ?? .seconds(5) }

    func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdownIgnoringErrors {
                for server in servers { _ = try? await server.localAddress() }
                await adminBound()
                guard !Task.isCancelled else { return }
                health.phase = .ready
                notifier.ready(status: status())
                logger.notice("ready", metadata: ["journal.seq": "\(journal.lastDurableSequence)"])
                await supervise()
            }
        } onGracefulShutdown: {
            health.phase = .draining
            logger.notice("shutting down: draining connections, then closing the journal")
            notifier.stopping(status: "draining: finishing in-flight messages, then closing the journal")
        }
    }

    private func supervise() async {
        let probing = SharedFlag()
        var lastStatus = ""
        while !Task.isCancelled {
            // One heartbeat at a time: a writer stuck in fdatasync leaves it outstanding, the
            // health turns bad after the tolerance, and the watchdog goes unpetted.
            if probing.claim() {
                Task { [journal, health] in
                    if (try? await journal.heartbeat()) != nil { health.heartbeatAnswered() }
                    probing.release()
                }
            }
            if let reason = health.unhealthyReason {
                logger.critical("unhealthy: not petting the watchdog", metadata: ["reason": "\(reason)"])
            } else {
                notifier.watchdog()
            }
            let text = status()
            if text != lastStatus {
                notifier.status(text)
                lastStatus = text
            }
            try? await Task.sleep(for: tick)
        }
    }

    /// `ready: 3 connections, 1200 messages (4 negative ACKs), journal seq 1234`.
    private func status() -> String {
        let connections = servers.reduce(0) { $0 + $1.openConnections }
        let totals = metrics.totals
        var text = "\(health.phase == .ready ? "ready" : "starting"): \(connections) connection\(connections == 1 ? "" : "s"), "
            + "\(totals.messages) messages (\(totals.negative) negative ACKs), journal seq \(journal.lastDurableSequence)"
        if let reason = health.unhealthyReason { text = "UNHEALTHY: \(reason)" }
        return text
    }
}

/// Runs `body` until it returns or graceful shutdown begins (then it is cancelled).
func cancelWhenGracefulShutdownIgnoringErrors(_ body: @escaping @Sendable () async -> Void) async {
    _ = try? await cancelWhenGracefulShutdown { await body() }
}
