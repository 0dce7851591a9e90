// Everything `switchboard serve` runs with. Built from defaults and command-line overrides.
public import Caseload
public import CaseloadStore
public import Integration
public import Journal
public import Logging
public import MLLP
public import Outbox
import NIOCore
import HL7XML

/// The daemon's settings; the defaults are the documented built-in configuration
/// (MLLP on 127.0.0.1:2575, state in `./switchboard-state`).
public struct DaemonConfiguration: Sendable {
    /// The state directory (journal, lock). `$STATE_DIRECTORY` under systemd.
    public var stateDirectory: String = "./switchboard-state"
    /// The plain MLLP listener.
    public var mllp = MLLPServerConfiguration()
    /// An optional TLS MLLP listener (its own port), with its certificates.
    public var mllpTLS: (listener: MLLPServerConfiguration, tls: MLLPServerTLSConfiguration)?
    /// What the inbound pipeline accepts.
    public var inbound = InboundConfiguration()
    /// Duplicate-index retention.
    public var duplicates = DuplicateIndex.Configuration()
    /// The journal's layout and limits (its directory follows ``stateDirectory``).
    public var journalSegmentSize: Int = 64 << 20
    /// A snapshot of the caseload and the duplicate index is written once this many records were
    /// journaled since the last one (checked every few seconds), and at a clean shutdown; start-up
    /// then reads the snapshot and only the records after it. 0: never.
    public var snapshotEveryRecords: Int = 50_000
    /// Log level (`trace` ... `critical`). Default `info`: one line per message.
    public var logLevel: Logger.Level = .info
    /// Event-loop threads. Default: one per core.
    public var eventLoopThreads: Int = System.coreCount
    /// The care team's rules (case opening, assignment, tasks, calendar).
    public var caseloadRules = CaseloadRules()
    /// Whether log lines may carry patient data (PID-3). Off unless an operator sets `log.phi`.
    public var logsPHI = false
    /// How outbound messages are addressed (our MSH-3/4, each destination's MSH-5/6, encoding).
    public var outbound = OutboundSettings()
    /// Where each destination is and how it is delivered to (`destinations:`,
    /// `serve --destination NAME=HOST:PORT`). A destination with no address keeps its entries
    /// queued until one is configured.
    public var destinations: [String: DestinationConfiguration] = [:]
    /// The admin HTTP listener (`/metrics`, `/healthz`, `/readyz`); `nil` for none.
    public var adminAddress: HostAndPort? = HostAndPort(host: "127.0.0.1", port: 9575)

    public init() {}

    /// The largest frame (and XML document) accepted, on every listener.
    public var maxFrameBytes: Int {
        get { mllp.framing.maxFrameBytes }
        set {
            mllp.framing.maxFrameBytes = newValue
            mllpTLS?.listener.framing.maxFrameBytes = newValue
            inbound.xmlOptions.maxDocumentBytes = newValue
        }
    }

    /// The settings a SIGHUP cannot change, by configuration key, as text: a reload compares
    /// them to say which changes wait for a restart.
    public var restartOnlySettings: [String: String] {
        [
            "state.directory": stateDirectory,
            "mllp.listen": "\(HostAndPort(host: mllp.host, port: mllp.port))",
            "mllp.max_frame_bytes": "\(mllp.framing.maxFrameBytes)",
            "mllp.max_junk_bytes": "\(mllp.framing.maxJunkBytes)",
            "mllp.frame_timeout_seconds": "\(mllp.frameTimeoutSeconds)",
            "mllp.idle_timeout_seconds": "\(mllp.idleTimeoutSeconds)",
            "mllp.max_connections": "\(mllp.maxConnections)",
            "mllp.max_connections_per_address": "\(mllp.maxConnectionsPerAddress)",
            "mllp.max_pending_frames_per_connection": "\(mllp.maxPendingFramesPerConnection)",
            "mllp.backlog": "\(mllp.backlog)",
            "mllp.drain_timeout_seconds": "\(mllp.drainTimeoutSeconds)",
            "tls.listen": mllpTLS.map { "\(HostAndPort(host: $0.listener.host, port: $0.listener.port))" } ?? "",
            "inbound.processing_ids": inbound.acceptedProcessingIDs.sorted().joined(separator: ","),
            "inbound.quarantine_max_bytes": "\(inbound.quarantineMaxBytes)",
            "inbound.max_in_flight": "\(inbound.maxInFlight)",
            "duplicates.retention_seconds": "\(duplicates.retentionSeconds)",
            "duplicates.max_entries": "\(duplicates.maxEntries)",
            "journal.segment_bytes": "\(journalSegmentSize)",
            "journal.snapshot_every_records": "\(snapshotEveryRecords)",
            "admin.listen": adminAddress.map(\.description) ?? "off",
            "destinations": destinations.keys.sorted().map { name in
                let d = destinations[name]!
                return "\(name)=\(d.address.map(\.description) ?? "none") tls=\(d.tls != nil) \(d.policy)"
            }.joined(separator: "; "),
        ]
    }

    /// The journal configuration for ``stateDirectory``.
    public var journal: JournalConfiguration {
        var configuration = JournalConfiguration(stateDirectory: stateDirectory)
        configuration.segmentSize = journalSegmentSize
        return configuration
    }
}

/// One outbound destination: its address, TLS and delivery policy.
public struct DestinationConfiguration: Sendable {
    public var address: HostAndPort?
    /// TLS towards the partner; nil for plain MLLP.
    public var tls: MLLPClientTLSConfiguration?
    public var policy = DeliveryPolicy()

    public init(address: HostAndPort? = nil) { self.address = address }
}

/// A `HOST:PORT` pair from the command line or a config file.
public struct HostAndPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback). `nil` when malformed.
    public init?(_ text: String) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(portText), (0...65_535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
