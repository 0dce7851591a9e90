// Everything `switchboard serve` runs with. Built from defaults and command-line overrides.
public import CaseloadStore
public import Integration
public import Journal
public import Logging
public import MLLP
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
    /// Log level (`trace` ... `critical`). Default `info`: one line per message.
    public var logLevel: Logger.Level = .info
    /// Event-loop threads. Default: one per core.
    public var eventLoopThreads: Int = System.coreCount

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

    /// The journal configuration for ``stateDirectory``.
    public var journal: JournalConfiguration {
        var configuration = JournalConfiguration(stateDirectory: stateDirectory)
        configuration.segmentSize = journalSegmentSize
        return configuration
    }
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
