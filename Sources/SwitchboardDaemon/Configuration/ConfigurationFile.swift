// `serve --config FILE`, `config check FILE` and `SWITCHBOARD_*` environment overrides: the
// settings over the built-in defaults (config/switchboard.yaml documents every key).
import Caseload
import CaseloadStore
import Configuration
import Integration
import MLLP
import Outbox
import Logging
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A setting that could not be used: where it came from (the file, with its line when known,
/// or the environment variable), the key, and what is wrong.
public struct ConfigurationFileError: Error, Sendable, CustomStringConvertible {
    /// The file's path, or `environment` for a `SWITCHBOARD_*` variable.
    public var file: String
    public var key: String?
    public var message: String
    /// 1-based line in the file, when the key is in it.
    public var line: Int?
    /// The environment variable that held the bad value, when one did.
    public var variable: String?

    public var description: String {
        var place = file
        if let variable { place = "environment \(variable)" } else if let line { place += ":\(line)" }
        return key.map { "\(place): \($0): \(message)" } ?? "\(place): \(message)"
    }
}

/// Reads settings over the built-in defaults. Precedence, lowest first: defaults, the YAML file,
/// `SWITCHBOARD_*` environment variables (`mllp.listen` → `SWITCHBOARD_MLLP_LISTEN`), and the
/// command-line flags (applied by the caller). Values are read as text and checked here, so a
/// bad value is refused with its key instead of silently replaced by the default; a key the
/// file has but Switchboard does not know is refused too (a typo would otherwise go unnoticed).
public enum ConfigurationFile {
    /// The environment variable that overrides `key`.
    public static func environmentVariable(for key: String) -> String {
        "SWITCHBOARD_" + String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// Applies the YAML file at `path` (when given) and the `SWITCHBOARD_*` variables of
    /// `environment` to `configuration`. Returns warnings (settings read but not in effect yet).
    @discardableResult
    public static func load(
        file path: String?, environment: [String: String], into configuration: inout DaemonConfiguration
    ) async throws(ConfigurationFileError) -> [String] {
        var fileReader: ConfigReader?
        var locator = YAMLKeyLocator(text: "")
        if let path {
            guard let text = readText(path) else {
                throw ConfigurationFileError(file: path, key: nil, message: "cannot read the file: \(String(cString: strerror(errno)))")
            }
            locator = YAMLKeyLocator(text: text)
            do {
                fileReader = ConfigReader(provider: try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
            } catch {
                throw ConfigurationFileError(file: path, key: nil, message: "cannot read the file as YAML: \(error)")
            }
        }
        let ours = environment.filter { $0.key.hasPrefix("SWITCHBOARD_") }
        let environmentReader = ConfigReader(
            provider: EnvironmentVariablesProvider(environmentVariables: ours).prefixKeys(with: "switchboard"))
        var reader = Reader(path: path ?? "environment", file: fileReader, environment: environmentReader, locator: locator)
        try reader.apply(to: &configuration)
        var warnings: [String] = []
        for key in locator.leaves.sorted() where !reader.known.contains(key) && !reader.known.contains(where: { $0.hasPrefix(key + ".") }) {
            // (A section left empty, e.g. `tls:` with every key commented out, is fine.)
            let line = locator.line(of: key)
            throw ConfigurationFileError(file: path ?? "", key: key, message: "unknown key (config/switchboard.yaml lists every key)", line: line)
        }
        return warnings
    }

    /// Applies the settings of the YAML file at `path` to `configuration` (no environment).
    public static func apply(_ path: String, to configuration: inout DaemonConfiguration) async throws(ConfigurationFileError) {
        try await load(file: path, environment: [:], into: &configuration)
    }

    private static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 { if errno == EINTR { continue } else { return nil } }
            if count == 0 { break }
            bytes += chunk[0..<count]
            if bytes.count > 16 << 20 { errno = EFBIG; return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Typed access to the keys, each failure naming its key and where the value came from.
    struct Reader {
        let path: String
        let file: ConfigReader?
        let environment: ConfigReader
        let locator: YAMLKeyLocator
        /// Every key asked for: the keys Switchboard knows.
        private(set) var known: Set<String> = []

        init(path: String, file: ConfigReader?, environment: ConfigReader, locator: YAMLKeyLocator) {
            self.path = path
            self.file = file
            self.environment = environment
            self.locator = locator
        }

        /// Whether the value of `key` came from the environment.
        private func fromEnvironment(_ key: String) -> Bool {
            environment.string(forKey: ConfigKey(key)) != nil
        }

        func fail(_ key: String, _ message: String) -> ConfigurationFileError {
            if fromEnvironment(key) {
                return ConfigurationFileError(file: "environment", key: key, message: message,
                                              variable: ConfigurationFile.environmentVariable(for: key))
            }
            return ConfigurationFileError(file: path, key: key, message: message, line: locator.line(of: key))
        }

        mutating func text(_ key: String) -> String? {
            known.insert(key)
            let raw = environment.string(forKey: ConfigKey(key)) ?? file?.string(forKey: ConfigKey(key))
            return raw.map { $0.trimmingSpaces() }.flatMap { $0.isEmpty ? nil : $0 }
        }

        mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationFileError) -> Int? {
            guard let value = text(key) else { return nil }
            guard let number = Int(value), range.contains(number) else {
                throw fail(key, "expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
            }
            return number
        }

        mutating func boolean(_ key: String) throws(ConfigurationFileError) -> Bool? {
            guard let value = text(key) else { return nil }
            switch value.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw fail(key, "expected true or false, got '\(value)'")
            }
        }

        mutating func address(_ key: String) throws(ConfigurationFileError) -> HostAndPort? {
            guard let value = text(key) else { return nil }
            guard let address = HostAndPort(value) else { throw fail(key, "expected HOST:PORT, got '\(value)'") }
            return address
        }

        mutating func list(_ key: String) -> [String]? {
            known.insert(key)
            let values = environment.stringArray(forKey: ConfigKey(key)) ?? file?.stringArray(forKey: ConfigKey(key))
            return values?.map { $0.trimmingSpaces() }
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
            let certificate = text("tls.certificate"), key = text("tls.private_key"), ca = text("tls.ca")
            if let listen = try address("tls.listen") {
                guard let certificate, let key, let ca else {
                    throw fail("tls.listen", "a TLS listener needs tls.certificate, tls.private_key and tls.ca (mutual TLS)")
                }
                var listener = c.mllp
                listener.name = "mllp-tls"
                listener.host = listen.host
                listener.port = listen.port
                c.mllpTLS = (listener, MLLPServerTLSConfiguration(
                    certificateChainPath: certificate, privateKeyPath: key, trustedCAPath: ca, requiresClientCertificate: true))
            } else if let present = [("tls.certificate", certificate), ("tls.private_key", key), ("tls.ca", ca)].first(where: { $0.1 != nil }) {
                throw fail(present.0, "set, but tls.listen is not: a TLS listener needs tls.listen, tls.certificate, tls.private_key and tls.ca")
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
            if let records = try integer("journal.snapshot_every_records", in: 0...1_000_000_000) { c.snapshotEveryRecords = records }
            if let level = text("log.level") {
                guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                    throw fail("log.level", "expected trace, debug, info, notice, warning, error or critical, got '\(level)'")
                }
                c.logLevel = parsed
            }
            if let phi = try boolean("log.phi") { c.logsPHI = phi }
            try applyRules(to: &c.caseloadRules)
            try applyOutbound(to: &c)
            if let admin = text("admin.listen") {
                if admin.lowercased() == "off" {
                    c.adminAddress = nil
                } else {
                    guard let address = HostAndPort(admin) else { throw fail("admin.listen", "expected HOST:PORT or off, got '\(admin)'") }
                    c.adminAddress = address
                }
            }
        }
    }
}

extension ConfigurationFile.Reader {
    /// `rules:`: case opening, tasks, calendar, teams (name → units) and coordinators (id →
    /// name, team, capacity). Team and coordinator names come from the file's keys.
    mutating func applyRules(to rules: inout CaseloadRules) throws(ConfigurationFileError) {
        if let classes = list("rules.case_opening.patient_classes") {
            guard !classes.isEmpty, classes.allSatisfy({ !$0.isEmpty && $0.count <= 2 }) else {
                throw fail("rules.case_opening.patient_classes", "expected a list of PV1-2 patient classes such as [I], got \(classes)")
            }
            rules.caseOpeningClasses = Set(classes.map { $0.uppercased() })
        }
        if let units = list("rules.case_opening.units") { rules.caseOpeningUnits = Set(units.filter { !$0.isEmpty }) }
        if let days = try integer("rules.continuity_days", in: 0...3650) { rules.continuityDays = days }
        if let hours = try integer("rules.tasks.initial_assessment_hours", in: 1...720) { rules.initialAssessmentHours = hours }
        if let days = try integer("rules.tasks.post_discharge_contact_business_days", in: 0...60) { rules.postDischargeContactBusinessDays = days }
        if let days = try integer("rules.tasks.follow_up_appointment_days", in: 1...365) { rules.followUpAppointmentDays = days }
        if let days = try integer("rules.tasks.readmission_window_days", in: 1...365) { rules.readmissionWindowDays = days }
        if let days = try integer("rules.tasks.reschedule_business_days", in: 0...60) { rules.rescheduleBusinessDays = days }
        if let offset = try integer("rules.calendar.utc_offset_minutes", in: -720...840) { rules.calendar.utcOffsetMinutes = offset }
        if let holidays = list("rules.calendar.holidays") {
            for day in holidays where !Self.isDate(day) {
                throw fail("rules.calendar.holidays", "expected dates as YYYY-MM-DD, got '\(day)'")
            }
            rules.calendar.holidays = Set(holidays)
        }
        let teams = locator.children(of: "rules.teams")
        if !teams.isEmpty {
            rules.teams = teams.map { name in CaseloadRules.Team(name: name, units: Set(list("rules.teams.\(name)") ?? [])) }
        }
        let coordinators = locator.children(of: "rules.coordinators")
        if !coordinators.isEmpty {
            var parsed: [Coordinator] = []
            for id in coordinators {
                let key = "rules.coordinators.\(id)"
                guard let capacity = try integer(key + ".capacity", in: 1...10_000) else { throw fail(key + ".capacity", "every coordinator needs a capacity (open cases)") }
                let team = text(key + ".team") ?? ""
                if !rules.teams.isEmpty, !rules.teams.contains(where: { $0.name == team }) {
                    throw fail(key + ".team", "team '\(team)' is not one of rules.teams (\(rules.teams.map(\.name).joined(separator: ", ")))")
                }
                parsed.append(Coordinator(id: id, name: text(key + ".name") ?? id, team: team, capacity: capacity))
            }
            rules.coordinators = parsed
        }
    }

    /// `outbound:` (our MSH-3/4/11), `destinations.NAME.*` (address, addressing, TLS, delivery
    /// policy) and `rules.referrals` (`off`, or rules by name: dispositions, destination,
    /// priority, type, reason).
    mutating func applyOutbound(to c: inout DaemonConfiguration) throws(ConfigurationFileError) {
        if let application = text("outbound.sending_application") { c.outbound.sendingApplication = application }
        if let facility = text("outbound.sending_facility") { c.outbound.sendingFacility = facility }
        if let id = text("outbound.processing_id") {
            guard ["P", "T", "D"].contains(id.uppercased()) else { throw fail("outbound.processing_id", "expected P, T or D, got '\(id)'") }
            c.outbound.processingID = id.uppercased()
        }
        for name in locator.children(of: "destinations") {
            let key = "destinations.\(name)"
            known.insert(key)  // `name: {}` is a destination with every default (and no address)
            var destination = c.destinations[name] ?? DestinationConfiguration()
            if let address = try address(key + ".address") { destination.address = address }
            var addressing = c.outbound.destinations[name] ?? OutboundAddressing(receivingApplication: name.uppercased())
            if let application = text(key + ".receiving_application") { addressing.receivingApplication = application }
            if let facility = text(key + ".receiving_facility") { addressing.receivingFacility = facility }
            if let encoding = text(key + ".encoding") {
                guard let parsed = OutboundAddressing.Encoding(rawValue: encoding.lowercased()) else {
                    throw fail(key + ".encoding", "expected er7 or xml, got '\(encoding)'")
                }
                addressing.encoding = parsed
            }
            c.outbound.destinations[name] = addressing
            if let count = try integer(key + ".max_attempts", in: 1...1_000_000) { destination.policy.maxAttempts = count }
            if let ms = try integer(key + ".initial_backoff_ms", in: 1...86_400_000) { destination.policy.initialBackoffMilliseconds = Int64(ms) }
            if let ms = try integer(key + ".max_backoff_ms", in: 1...86_400_000) { destination.policy.maxBackoffMilliseconds = Int64(ms) }
            if let ms = try integer(key + ".ack_timeout_ms", in: 1...3_600_000) { destination.policy.ackTimeoutMilliseconds = Int64(ms) }
            if let ms = try integer(key + ".connect_timeout_ms", in: 1...600_000) { destination.policy.connectTimeoutMilliseconds = Int64(ms) }
            if let ca = text(key + ".tls.ca") {
                destination.tls = MLLPClientTLSConfiguration(
                    trustedCAPath: ca, certificateChainPath: text(key + ".tls.certificate"), privateKeyPath: text(key + ".tls.private_key"),
                    serverHostname: text(key + ".tls.server_name"))
            } else if let present = ["certificate", "private_key", "server_name"].first(where: { text(key + ".tls." + $0) != nil }) {
                throw fail(key + ".tls." + present, "set, but \(key).tls.ca is not: TLS to a destination needs the CA that signed its certificate")
            }
            c.destinations[name] = destination
        }
        if text("rules.referrals")?.lowercased() == "off" {
            c.caseloadRules.referralRules = []
        } else {
            let names = locator.children(of: "rules.referrals")
            if !names.isEmpty {
                var rules: [ReferralRule] = []
                for name in names {
                    let key = "rules.referrals.\(name)"
                    guard let dispositions = list(key + ".dispositions"), !dispositions.isEmpty else {
                        throw fail(key + ".dispositions", "every referral rule needs discharge dispositions (PV1-36), e.g. [\"06\"]")
                    }
                    let destination = text(key + ".destination") ?? name
                    rules.append(ReferralRule(
                        dispositions: Set(dispositions), destination: destination, priority: text(key + ".priority") ?? "R",
                        type: text(key + ".type") ?? "", reason: text(key + ".reason") ?? ""))
                }
                c.caseloadRules.referralRules = rules
            }
        }
    }

    private static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let month = Int(parts[1]), let day = Int(parts[2]), Int(parts[0]) != nil else { return false }
        return (1...12).contains(month) && (1...31).contains(day)
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
