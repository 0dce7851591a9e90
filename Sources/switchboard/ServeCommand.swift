import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Logging
import MLLP
import SwitchboardDaemon

/// `switchboard serve`: run the daemon.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the MLLP daemon: receive HL7 v2 messages, journal them durably, then ACK.",
        discussion: """
            With no options it listens on 127.0.0.1:2575 and keeps its state in ./switchboard-state.
            Every message is fsynced to the journal before its AA/CA goes out. SIGTERM or SIGINT \
            drains: stop accepting, answer what was read, close the journal.

            Examples:
              switchboard serve
              switchboard serve --listen 0.0.0.0:2575 --state /var/lib/switchboard
              switchboard serve --config config/switchboard.yaml --log-level debug
              switchboard serve --frame-timeout 10 --idle-timeout 120
              switchboard serve --tls-listen 0.0.0.0:2576 --tls-cert server.pem --tls-key server.key --tls-ca ca.pem
              SWITCHBOARD_MLLP_LISTEN=0.0.0.0:2575 switchboard serve --admin 127.0.0.1:9575

            Settings, lowest precedence first: built-in defaults, --config FILE, $STATE_DIRECTORY \
            (systemd), SWITCHBOARD_* environment variables (mllp.listen -> SWITCHBOARD_MLLP_LISTEN), \
            flags. SIGHUP re-reads them: the log level, log.phi and the TLS certificates change at \
            once; other changes are logged as needing a restart. Under systemd (Type=notify) it \
            reports READY=1, STATUS=, WATCHDOG=1 and STOPPING=1 itself.
            """
    )

    @Option(name: .long, help: ArgumentHelp("YAML configuration file (see config/switchboard.yaml); flags given here override it.", valueName: "FILE"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("MLLP listener address (default 127.0.0.1:2575; port 0 picks a free one).", valueName: "HOST:PORT"))
    var listen: String?

    @Option(name: .long, help: ArgumentHelp("State directory: journal and lock (default ./switchboard-state, or $STATE_DIRECTORY).", valueName: "DIR"))
    var state: String?

    @Option(name: .long, help: ArgumentHelp("A TLS MLLP listener address, in addition to the plain one.", valueName: "HOST:PORT"))
    var tlsListen: String?

    @Option(name: .long, help: ArgumentHelp("TLS listener: certificate chain (PEM).", valueName: "FILE"))
    var tlsCert: String?

    @Option(name: .long, help: ArgumentHelp("TLS listener: private key (PEM).", valueName: "FILE"))
    var tlsKey: String?

    @Option(name: .long, help: ArgumentHelp("TLS listener: CA (PEM) that client certificates must chain to; clients without one are refused.", valueName: "FILE"))
    var tlsCa: String?

    @Option(name: .long, help: ArgumentHelp("Largest MLLP frame accepted, in bytes (default 1048576).", valueName: "BYTES"))
    var maxFrameBytes: Int?

    @Option(name: .long, help: ArgumentHelp("Open connections per listener (default 64).", valueName: "N"))
    var maxConnections: Int?

    @Option(name: .long, help: ArgumentHelp("Open connections per source address (default 8).", valueName: "N"))
    var maxConnectionsPerAddress: Int?

    @Option(name: .long, help: ArgumentHelp("Journal segment size in bytes; segments roll past it (default 67108864).", valueName: "BYTES"))
    var journalSegmentSize: Int?

    @Option(name: .long, help: ArgumentHelp("A frame must be complete this many seconds after its start block, else the connection is closed (default 30; slowloris guard).", valueName: "SECONDS"))
    var frameTimeout: Int64?

    @Option(name: .long, help: ArgumentHelp("A connection with no traffic and nothing in flight is closed after this many seconds (default 300).", valueName: "SECONDS"))
    var idleTimeout: Int64?

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical (default info: one line per message).", valueName: "LEVEL"))
    var logLevel: String?

    @Option(name: .long, help: ArgumentHelp("Admin HTTP listener for /metrics, /healthz, /readyz (default 127.0.0.1:9575; 'off' for none).", valueName: "HOST:PORT"))
    var admin: String?

    @Option(name: .customLong("destination"), help: ArgumentHelp(
        "Where an outbound destination is, e.g. home-health=127.0.0.1:2576 (repeatable; overrides destinations.NAME.address).",
        valueName: "NAME=HOST:PORT"))
    var destinations: [String] = []

    func run() async throws {
        let configuration: DaemonConfiguration
        let warnings: [String]
        do {
            (configuration, warnings) = try await resolvedConfiguration()
        } catch {
            throw error.report()
        }
        let settings = LogSettings(level: configuration.logLevel, logsPHI: configuration.logsPHI,
                                   journaldPriorities: JournalStream.isStandardErrorJournal)
        LoggingSystem.bootstrap { label in KeyValueLogHandler(label: label, settings: settings) }
        let logger = Logger(label: "switchboard")
        for warning in warnings { logger.warning("configuration", metadata: ["warning": "\(warning)"]) }
        let runtime = DaemonRuntime(
            logSettings: settings, metricsRegistry: MetricsBootstrap.prometheus(), notifier: .fromEnvironment(),
            reloadConfiguration: { [self] in
                do {
                    return try await resolvedConfiguration().configuration
                } catch {
                    throw DaemonError("\(error)")
                }
            })
        do {
            try await SwitchboardDaemon.run(configuration, runtime: runtime, logger: logger)
        } catch let error as DaemonError {
            logger.critical("start-up failed", metadata: ["error": "\(error.message)"])
            throw CLIError(error.message, exitCode: .workFailed).report()
        }
    }

    /// The configuration from, lowest precedence first: built-in defaults, the config file,
    /// `$STATE_DIRECTORY` (systemd), `SWITCHBOARD_*` variables, and these flags. Also what a
    /// SIGHUP reload re-reads.
    func resolvedConfiguration() async throws(CLIError) -> (configuration: DaemonConfiguration, warnings: [String]) {
        var configuration = DaemonConfiguration()
        var environment = Environment.all()
        if let stateDirectory = environment["STATE_DIRECTORY"], !stateDirectory.isEmpty,
           environment["SWITCHBOARD_STATE_DIRECTORY"] == nil {
            // systemd may pass several, colon-separated: the first is ours. Explicit
            // SWITCHBOARD_STATE_DIRECTORY wins over it; the file's state.directory does not.
            environment["SWITCHBOARD_STATE_DIRECTORY"] = String(stateDirectory.split(separator: ":").first ?? "")
        }
        let warnings: [String]
        do {
            warnings = try await ConfigurationFile.load(file: config, environment: environment, into: &configuration)
        } catch {
            throw CLIError("\(error)")
        }
        try applyFlags(to: &configuration)
        return (configuration, warnings)
    }

    private func applyFlags(to configuration: inout DaemonConfiguration) throws(CLIError) {
        if let state { configuration.stateDirectory = state }
        if let listen {
            guard let address = HostAndPort(listen) else { throw CLIError("--listen \(listen): expected HOST:PORT") }
            configuration.mllp.host = address.host
            configuration.mllp.port = address.port
        }
        for text in destinations {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let address = HostAndPort(parts[1]) else {
                throw CLIError("--destination \(text): expected NAME=HOST:PORT, e.g. home-health=127.0.0.1:2576")
            }
            configuration.destinations[parts[0], default: DestinationConfiguration()].address = address
        }
        if let admin {
            if admin.lowercased() == "off" {
                configuration.adminAddress = nil
            } else {
                guard let address = HostAndPort(admin) else { throw CLIError("--admin \(admin): expected HOST:PORT or off") }
                configuration.adminAddress = address
            }
        }
        if let maxFrameBytes {
            guard maxFrameBytes > 0 else { throw CLIError("--max-frame-bytes must be positive") }
            configuration.maxFrameBytes = maxFrameBytes
        }
        if let maxConnections {
            guard maxConnections > 0 else { throw CLIError("--max-connections must be positive") }
            configuration.mllp.maxConnections = maxConnections
        }
        if let maxConnectionsPerAddress {
            guard maxConnectionsPerAddress > 0 else { throw CLIError("--max-connections-per-address must be positive") }
            configuration.mllp.maxConnectionsPerAddress = maxConnectionsPerAddress
        }
        if let journalSegmentSize {
            guard journalSegmentSize >= 4096 else { throw CLIError("--journal-segment-size must be at least 4096") }
            configuration.journalSegmentSize = journalSegmentSize
        }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else { throw CLIError("--log-level \(logLevel): unknown level") }
            configuration.logLevel = level
        }
        if let tlsListen {
            guard let address = HostAndPort(tlsListen) else { throw CLIError("--tls-listen \(tlsListen): expected HOST:PORT") }
            guard let tlsCert, let tlsKey, let tlsCa else {
                throw CLIError("--tls-listen needs --tls-cert, --tls-key and --tls-ca (mutual TLS: clients must present a certificate from that CA)")
            }
            var listener = configuration.mllp
            listener.name = "mllp-tls"
            listener.host = address.host
            listener.port = address.port
            let tls = MLLPServerTLSConfiguration(
                certificateChainPath: tlsCert, privateKeyPath: tlsKey, trustedCAPath: tlsCa, requiresClientCertificate: true)
            configuration.mllpTLS = (listener, tls)
        } else if tlsCert != nil || tlsKey != nil || tlsCa != nil {
            throw CLIError("--tls-cert, --tls-key and --tls-ca need --tls-listen")
        }
        // After the TLS listener is set up: both listeners get the same deadlines.
        if let frameTimeout {
            guard frameTimeout > 0 else { throw CLIError("--frame-timeout must be a positive number of seconds") }
            configuration.mllp.frameTimeoutSeconds = frameTimeout
            configuration.mllpTLS?.listener.frameTimeoutSeconds = frameTimeout
        }
        if let idleTimeout {
            guard idleTimeout > 0 else { throw CLIError("--idle-timeout must be a positive number of seconds") }
            configuration.mllp.idleTimeoutSeconds = idleTimeout
            configuration.mllpTLS?.listener.idleTimeoutSeconds = idleTimeout
        }
    }
}

/// Reads the process environment.
enum Environment {
    static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }

    /// Every variable of the process environment.
    static func all() -> [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return variables
    }
}
