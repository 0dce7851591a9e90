// `serve --config FILE`: the YAML configuration file (config/switchboard.yaml documents every key).
import CaseloadStore
import Configuration
import Integration
import MLLP
import Logging
import SystemPackage

/// A configuration file that could not be used: the file, and the key when one is at fault.
public struct ConfigurationFileError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var key: String?
    public var message: String

    public var description: String {
        key.map { "\(file): \($0): \(message)" } ?? "\(file): \(message)"
    }
}

/// Reads the YAML configuration file over the built-in defaults. Values are read as text and
/// checked here, so that a bad value is refused with its key instead of silently replaced by
/// the default. Keys the file does not set keep their defaults; command-line flags are applied
/// afterwards and win.
public enum ConfigurationFile {
    /// Applies the settings of the YAML file at `path` to `configuration`.
    public static func apply(_ path: String, to configuration: inout DaemonConfiguration) async throws(ConfigurationFileError) {
        let reader: ConfigReader
        do {
            reader = ConfigReader(provider: try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
        } catch {
            throw ConfigurationFileError(file: path, key: nil, message: "cannot read the file as YAML: \(error)")
        }
        var file = Reader(path: path, reader: reader)
        try file.apply(to: &configuration)
    }

    /// Typed access to the keys, each failure naming its key.
    private struct Reader {
        let path: String
        let reader: ConfigReader

        func fail(_ key: String, _ message: String) -> ConfigurationFileError {
            ConfigurationFileError(file: path, key: key, message: message)
        }

        func text(_ key: String) -> String? {
            reader.string(forKey: ConfigKey(key)).map { $0.trimmingSpaces() }.flatMap { $0.isEmpty ? nil : $0 }
        }

        func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationFileError) -> Int? {
            guard let value = text(key) else { return nil }
            guard let number = Int(value), range.contains(number) else {
                throw fail(key, "expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
            }
            return number
        }

        func address(_ key: String) throws(ConfigurationFileError) -> HostAndPort? {
            guard let value = text(key) else { return nil }
            guard let address = HostAndPort(value) else { throw fail(key, "expected HOST:PORT, got '\(value)'") }
            return address
        }

        func list(_ key: String) -> [String]? {
            reader.stringArray(forKey: ConfigKey(key))?.map { $0.trimmingSpaces() }
        }

        mutating func apply(to c: inout DaemonConfiguration) throws(ConfigurationFileError) {
            if let directory = text("state.directory") { c.stateDirectory = directory }
            if let listen = try address("mllp.listen") {
                c.mllp.host = listen.host
                c.mllp.port = listen.port
            }
            if let bytes = try integer("mllp.max_frame_bytes", in: 1...(256 << 20)) { c.maxFrameBytes = bytes }
            if let bytes = try integer("mllp.max_junk_bytes", in: 0...(1 << 20)) { c.mllp.framing.maxJunkBytes = bytes }
            if let seconds = try integer("mllp.frame_timeout_seconds", in: 1...3600) { c.mllp.frameTimeoutSeconds = Int64(seconds) }
            if let seconds = try integer("mllp.idle_timeout_seconds", in: 1...86_400) { c.mllp.idleTimeoutSeconds = Int64(seconds) }
            if let count = try integer("mllp.max_connections", in: 1...100_000) { c.mllp.maxConnections = count }
            if let count = try integer("mllp.max_connections_per_address", in: 1...100_000) { c.mllp.maxConnectionsPerAddress = count }
            if let count = try integer("mllp.max_pending_frames_per_connection", in: 1...65_536) {
                c.mllp.maxPendingFramesPerConnection = count
            }
            if let count = try integer("mllp.backlog", in: 1...65_535) { c.mllp.backlog = count }
            if let seconds = try integer("mllp.drain_timeout_seconds", in: 0...3600) { c.mllp.drainTimeoutSeconds = Int64(seconds) }
            if let listen = try address("tls.listen") {
                guard let certificate = text("tls.certificate"), let key = text("tls.private_key"), let ca = text("tls.ca") else {
                    throw fail("tls.listen", "a TLS listener needs tls.certificate, tls.private_key and tls.ca (mutual TLS)")
                }
                var listener = c.mllp
                listener.name = "mllp-tls"
                listener.host = listen.host
                listener.port = listen.port
                c.mllpTLS = (listener, MLLPServerTLSConfiguration(
                    certificateChainPath: certificate, privateKeyPath: key, trustedCAPath: ca, requiresClientCertificate: true))
            } else if text("tls.certificate") != nil || text("tls.private_key") != nil || text("tls.ca") != nil {
                throw fail("tls.listen", "tls.certificate, tls.private_key and tls.ca are set but tls.listen is not")
            }
            if let ids = list("inbound.processing_ids") {
                guard !ids.isEmpty, ids.allSatisfy({ ["P", "T", "D"].contains($0.uppercased()) }) else {
                    throw fail("inbound.processing_ids", "expected a list of P, T and D (HL7 table 0103), got \(ids)")
                }
                c.inbound.acceptedProcessingIDs = Set(ids.map { $0.uppercased() })
            }
            if let bytes = try integer("inbound.quarantine_max_bytes", in: 0...(256 << 20)) { c.inbound.quarantineMaxBytes = bytes }
            if let count = try integer("inbound.max_in_flight", in: 1...1_000_000) { c.inbound.maxInFlight = count }
            if let seconds = try integer("duplicates.retention_seconds", in: 0...(10 * 366 * 86_400)) {
                c.duplicates.retentionSeconds = Int64(seconds)
            }
            if let count = try integer("duplicates.max_entries", in: 0...100_000_000) { c.duplicates.maxEntries = count }
            if let bytes = try integer("journal.segment_bytes", in: 4096...(1 << 40)) { c.journalSegmentSize = bytes }
            if let level = text("log.level") {
                guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                    throw fail("log.level", "expected trace, debug, info, notice, warning, error or critical, got '\(level)'")
                }
                c.logLevel = parsed
            }
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" { view.removeLast() }
        return String(view)
    }
}
