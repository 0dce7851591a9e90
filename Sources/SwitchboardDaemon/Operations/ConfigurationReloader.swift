// SIGHUP: re-read the configuration and apply what can change without a restart.
import Integration
import Logging
import MLLP
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// Applies a new configuration to the running daemon: the log level and `log.phi` at once, the
/// TLS listener's certificate, key and CA for new connections. Settings that need a restart
/// (listen addresses, limits, the state directory, ...) are reported, not half-applied. A
/// configuration that does not load or validate leaves the running one untouched.
struct ConfigurationReloader: Service, CustomStringConvertible {
    var description: String { "SIGHUP reloader" }

    /// Builds the configuration afresh (file, environment and flags, as at start-up).
    let load: @Sendable () async throws -> DaemonConfiguration
    let running: DaemonConfiguration
    let servers: [MLLPServer]
    let caseload: CaseloadEngine
    let logSettings: LogSettings
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdownIgnoringErrors { [self] in
            var current = running
            for await _ in hangups {
                notifier.reloading()
                let outcome = await reload(from: current)
                if let applied = outcome.configuration { current = applied }
                notifier.ready(status: outcome.summary)
            }
        }
    }

    /// What a reload did.
    struct Outcome {
        /// The configuration now in effect for the reloadable settings (nil: unchanged).
        var configuration: DaemonConfiguration?
        var summary: String
    }

    func reload(from current: DaemonConfiguration) async -> Outcome {
        let next: DaemonConfiguration
        do {
            next = try await load()
        } catch {
            logger.error("configuration reload failed: keeping the running configuration", metadata: ["error": "\(error)"])
            return Outcome(configuration: nil, summary: "ready; reload failed: \(error)")
        }
        var applied: [String] = []
        var failed: [String] = []
        if next.logLevel != logSettings.logLevel {
            logSettings.logLevel = next.logLevel
            applied.append("log.level")
        }
        if next.logsPHI != logSettings.logsPHI {
            logSettings.logsPHI = next.logsPHI
            applied.append("log.phi")
            if next.logsPHI { logger.warning("log.phi is on: log lines now carry patient identifiers (PID-3)") }
        }
        if next.caseloadRules != caseload.rules {
            caseload.updateRules(next.caseloadRules)
            applied.append("rules")
        }
        if next.outbound != current.outbound {
            caseload.updateOutbound(next.outbound)
            applied.append("outbound")
        }
        if let (_, tls) = next.mllpTLS, let server = servers.first(where: \.isTLS) {
            do {
                try server.replaceTLSContext(try tls.makeContext())
                applied.append("tls.certificates")
            } catch {
                failed.append("tls.certificates (\(error))")
            }
        }
        let before = current.restartOnlySettings, after = next.restartOnlySettings
        let needsRestart = after.keys.filter { before[$0] != after[$0] }.sorted()
        var metadata: Logger.Metadata = [
            "applied": "\(applied.isEmpty ? "none" : applied.joined(separator: ","))",
            "log.level": "\(logSettings.logLevel)",
        ]
        if !needsRestart.isEmpty { metadata["needs_restart"] = "\(needsRestart.joined(separator: ","))" }
        if !failed.isEmpty { metadata["failed"] = "\(failed.joined(separator: "; "))" }
        logger.log(level: failed.isEmpty && needsRestart.isEmpty ? .notice : .warning, "configuration reloaded", metadata: metadata)
        var summary = "ready; reloaded \(applied.isEmpty ? "nothing" : applied.joined(separator: ", "))"
        if !needsRestart.isEmpty { summary += "; restart needed for \(needsRestart.joined(separator: ", "))" }
        if !failed.isEmpty { summary += "; failed: \(failed.joined(separator: "; "))" }
        var effective = current
        effective.logLevel = next.logLevel
        effective.logsPHI = next.logsPHI
        effective.caseloadRules = next.caseloadRules
        effective.outbound = next.outbound  // compared with the next reload's (P -> T -> P applies twice)
        if let tls = next.mllpTLS?.tls, failed.isEmpty { effective.mllpTLS?.tls = tls }
        return Outcome(configuration: effective, summary: summary)
    }
}
