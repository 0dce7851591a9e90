// One line per event, `key=value`, to standard error (journald-friendly).
public import Logging
import Synchronization
// Foundation (used by the caseload JSON views in this module) re-declares the C structs via
// Dispatch; importing it here keeps one visible declaration of timespec/stat.
import Foundation
#if canImport(CDispatch)
import CDispatch
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process-wide log settings every handler reads, so that a reload (SIGHUP) changes the
/// level of loggers already handed out.
public final class LogSettings: Sendable {
    private let level: Atomic<UInt8>
    private let phi: Atomic<Bool>
    /// Lines start with a syslog priority `<N>` (and leave the time to journald).
    public let journaldPriorities: Bool

    public init(level: Logger.Level, logsPHI: Bool = false, journaldPriorities: Bool = false) {
        self.level = Atomic(Self.code(level))
        self.phi = Atomic(logsPHI)
        self.journaldPriorities = journaldPriorities
    }

    /// The minimum level logged.
    public var logLevel: Logger.Level {
        get { Logger.Level.allCases[Int(level.load(ordering: .relaxed))] }
        set { level.store(Self.code(newValue), ordering: .relaxed) }
    }

    /// Whether patient data (identifiers) may appear in log lines (`log.phi`; off by default).
    public var logsPHI: Bool {
        get { phi.load(ordering: .relaxed) }
        set { phi.store(newValue, ordering: .relaxed) }
    }

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level)!)
    }
}

/// Writes `time level msg key=value ...` lines to standard error, one `write(2)` per line so
/// lines from several threads never interleave. Keys are sorted; values with spaces, quotes,
/// `=` or control characters are quoted. The line is assembled as bytes in one buffer: at
/// tens of thousands of messages a second this handler is on the hot path.
///
/// When standard error is the systemd journal (``JournalStream/isStandardErrorJournal``), lines
/// start with the syslog priority (`<6>level=info ...`) so that `journalctl -p err` works, and
/// carry no timestamp of their own (journald stamps each line).
public struct KeyValueLogHandler: LogHandler {
    /// This logger's own level when set on it; otherwise the shared (reloadable) one.
    private var ownLevel: Logger.Level?
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let settings: LogSettings

    public init(label: String, settings: LogSettings) {
        self.label = label
        self.settings = settings
    }

    public init(label: String, level: Logger.Level) {
        self.init(label: label, settings: LogSettings(level: level))
    }

    public var logLevel: Logger.Level {
        get { ownLevel ?? settings.logLevel }
        set { ownLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line: [UInt8] = []
        line.reserveCapacity(320)
        if settings.journaldPriorities {
            line += "<\(Self.syslogPriority(event.level))>level=".utf8
        } else {
            appendTimestamp(to: &line)
            line += " level=".utf8
        }
        line += event.level.rawValue.utf8
        line += " msg=".utf8
        appendValue(event.message.description, to: &line)
        // Handler metadata, then the event's (which wins on equal keys), sorted by key.
        var entries: [(key: String, value: Logger.Metadata.Value)] = []
        entries.reserveCapacity(metadata.count + (event.metadata?.count ?? 0))
        if let extra = event.metadata {
            for (key, value) in metadata where extra[key] == nil { entries.append((key, value)) }
            for (key, value) in extra { entries.append((key, value)) }
        } else {
            for (key, value) in metadata { entries.append((key, value)) }
        }
        entries.sort { $0.key < $1.key }
        for entry in entries {
            line.append(0x20)
            line += entry.key.utf8
            line.append(0x3D)
            switch entry.value {
            case .string(let text): appendValue(text, to: &line)
            case .stringConvertible(let value): appendValue(value.description, to: &line)
            default: appendValue("\(entry.value)", to: &line)
            }
        }
        line.append(0x0A)
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 { offset += written } else if written < 0, errno == EINTR { continue } else { break }
            }
        }
    }

    /// RFC 5424 severity: the priority journald files the line under.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The value as is, or quoted with `"` and `\` escaped and line breaks as `\n`/`\r`.
    private func appendValue(_ value: String, to line: inout [UInt8]) {
        let utf8 = value.utf8
        guard utf8.isEmpty || utf8.contains(where: { $0 <= 0x20 || $0 == 0x22 || $0 == 0x3D || $0 == 0x5C }) else {
            line += utf8
            return
        }
        line.append(0x22)
        for byte in utf8 {
            switch byte {
            case 0x22: line += [0x5C, 0x22]
            case 0x5C: line += [0x5C, 0x5C]
            case 0x0A: line += [0x5C, 0x6E]
            case 0x0D: line += [0x5C, 0x72]
            default: line.append(byte)
            }
        }
        line.append(0x22)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
    private func appendTimestamp(to line: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                line.append(UInt8(truncatingIfNeeded: 0x30 + rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        line.append(0x2D)
        digits(Int(parts.tm_mon) + 1, 2)
        line.append(0x2D)
        digits(Int(parts.tm_mday), 2)
        line.append(0x54)
        digits(Int(parts.tm_hour), 2)
        line.append(0x3A)
        digits(Int(parts.tm_min), 2)
        line.append(0x3A)
        digits(Int(parts.tm_sec), 2)
        line.append(0x2E)
        digits(Int(now.tv_nsec / 1_000_000), 3)
        line.append(0x5A)
    }
}
