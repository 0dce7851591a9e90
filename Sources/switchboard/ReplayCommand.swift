import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HL7
import Logging
import MLLP
import SwitchboardDaemon
import Synchronization

/// `switchboard replay ARCHIVE... (--to HOST:PORT | --state DIR)`
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-feed message archives to a running daemon (--to) or into a state directory (--state).",
        discussion: """
            ARCHIVE is a file, a directory (read recursively, in name order), a glob, or - for \
            standard input. The format is sniffed per file: gzip-compressed or not, an MLLP-framed \
            stream (as written by `switchboard journal export`), ER7 text with one or many messages \
            (CR, LF or CRLF; blank lines between messages; FHS/BHS batches), or an HL7 v2.xml \
            document. Damage (a broken frame, a truncated gzip file) is reported with its file and \
            byte offset and the rest still replays.

            --dry-run does all of that in memory (against a copy of --state when given) and \
            writes nothing: the report then lists each message's caseload changes.

            --state applies the messages through the daemon's own pipeline (validation, \
            duplicates, journal with fsync, caseload), in file order; it refuses a directory a \
            daemon holds. --to sends them over MLLP, one at a time, checking that MSA-2 echoes \
            MSH-10; a message without an answer is sent again (the same bytes) on a new connection.

            Prints a summary by ACK code and message type; --report writes one JSON row per \
            message (source, offset, control id, type, ACK, ERR texts). Replaying the same archive \
            twice stores nothing the second time (duplicates are answered with their first ACK).
            Exit codes: 0 every message accepted and no damage, 1 otherwise, 2 bad usage.

            Examples:
              switchboard replay samples/ --state /tmp/replayed
              switchboard replay archive.mllp.gz --to 127.0.0.1:2575 --report replay.json
              switchboard journal export --state /var/lib/switchboard > all.mllp && switchboard replay all.mllp --state /tmp/copy
            """
    )

    @Argument(help: "Archives: files, directories, globs, or - for standard input.")
    var archives: [String]

    @Option(help: ArgumentHelp("Send to a running daemon at HOST:PORT.", valueName: "HOST:PORT"))
    var to: String?

    @Option(help: ArgumentHelp("Apply into this state directory (offline).", valueName: "DIR"))
    var state: String?

    @Flag(help: "Parse, validate and map every message without writing anything (against a copy of --state when given): what would be accepted, refused with which ERR, and changed in the caseload.")
    var dryRun = false

    @Option(help: ArgumentHelp("Configuration file for the offline pipeline (rules, limits).", valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("Only messages whose MSH-9 matches (`*` matches any text), e.g. 'ADT^A0*'.", valueName: "PATTERN"))
    var type: String?

    @Option(help: ArgumentHelp("Only messages with MSH-7 at or after this time (YYYY-MM-DD or ISO 8601).", valueName: "TIME"))
    var since: String?

    @Option(help: ArgumentHelp("Only messages with MSH-7 before this time.", valueName: "TIME"))
    var until: String?

    @Option(help: ArgumentHelp("Only messages from MSH-3 APP (and MSH-4 FACILITY).", valueName: "APP[^FACILITY]"))
    var sender: String?

    @Option(name: .customLong("control-id"), help: ArgumentHelp("Only the message(s) with this MSH-10 (repeatable).", valueName: "ID"))
    var controlIDs: [String] = []

    @Option(help: "At most this many messages (after the other filters).")
    var limit: Int?

    @Option(help: "file (the archives' order, default) or msh7 (by message time, stable).")
    var order: String = "file"

    @Option(help: ArgumentHelp("Write one JSON row per message to this file.", valueName: "FILE"))
    var report: String?

    @Option(help: ArgumentHelp("Skip the messages a previous --report shows accepted (after Ctrl-C or a failure); its rows are kept in the new report.", valueName: "REPORT"))
    var resume: String?

    @Option(help: "Online: seconds to wait for each ACK.")
    var timeout: Double = 10

    @Option(help: "Online: sends of the same bytes after a missing answer.")
    var resends: Int = 2

    @Option(help: "Online: at most this many messages per second.")
    var rate: Double?

    @Flag(help: "Online: stop at the first message not accepted.")
    var stopOnError = false

    @Option(help: "Messages in flight: offline, appends written together; online, frames per connection (MLLP pipelining; answers come back in order). Default: 2048 offline, 32 online.")
    var window: Int?

    @Option(help: "Online: connections; above 1 the daemon may store messages out of file order.")
    var connections: Int = 1

    /// Online over TLS.
    @OptionGroup var tls: ClientTLSOptions

    func validate() throws {
        guard !archives.isEmpty else { throw ValidationError("give at least one ARCHIVE") }
        if dryRun {
            guard to == nil else { throw ValidationError("--dry-run works offline: give --state DIR (read, never written) or nothing") }
        } else {
            guard (to == nil) != (state == nil) else { throw ValidationError("give exactly one of --to HOST:PORT and --state DIR") }
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if let window, window < 1 || window > 65_536 { throw ValidationError("--window must be between 1 and 65536") }
        guard connections >= 1, connections <= 256 else { throw ValidationError("--connections must be between 1 and 256") }
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
        if config != nil, to != nil { throw ValidationError("--config applies to offline replays (--state, --dry-run)") }
        guard ReplaySelection.Order(rawValue: order) != nil else { throw ValidationError("--order must be file or msh7") }
    }

    func run() async throws {
        let started = ContinuousClock.now
        var items: [ReplayItem] = []
        var problems: [ReplayInputProblem] = []
        var stderr = StandardError()
        do throws(CLIError) {
            for (path, named) in try ArchivePaths.expand(archives) {
                let (found, damage, _, _) = ReplayArchiveReader.read(try InputFile.read(path), source: path)
                if found.isEmpty, !named {
                    print("switchboard: \(path): no HL7 message, skipped", to: &stderr)
                    continue
                }
                items += found
                problems += damage
            }
        } catch {
            throw error.report()
        }
        for problem in problems { print("switchboard: \(problem)", to: &stderr) }
        var selection = ReplaySelection()
        selection.type = type
        selection.sender = sender
        selection.controlIDs = Set(controlIDs)
        selection.limit = limit
        selection.order = ReplaySelection.Order(rawValue: order) ?? .file
        do {
            selection.since = try timeOption("--since", since)
            selection.until = try timeOption("--until", until)
        } catch {
            throw error.report()
        }
        items = selection.apply(to: items)
        var previous: [ReplayOutcome] = []
        if let resume {
            do {
                previous = try JSONDecoder().decode([ReplayOutcome].self, from: Data(contentsOf: URL(fileURLWithPath: resume))).filter(\.accepted)
            } catch {
                throw CLIError(file: resume, "cannot read the report to resume from: \(error)").report()
            }
            let done = Set(previous.map { "\($0.source)\u{0}\($0.offset)" })
            let before = items.count
            items = items.filter { !done.contains("\($0.source)\u{0}\($0.offset)") }
            print("switchboard: resuming: \(before - items.count) messages already accepted in \(resume), \(items.count) to go", to: &stderr)
        }
        let stop = StopFlag()
        let interrupt = Interruption.install { stop.set() }
        defer { interrupt.cancel() }

        let progress = ReplayProgress(total: items.count)
        let outcomes: [ReplayOutcome]
        if dryRun || state != nil {
            var configuration = DaemonConfiguration()
            if let config {
                do {
                    try await ConfigurationFile.apply(config, to: &configuration)
                } catch {
                    throw CLIError("\(error)").report()
                }
            }
            let logger = Logger(label: "switchboard.replay") { _ in SwiftLogNoOpLogHandler() }
            do {
                if dryRun {
                    outcomes = try await ReplayRunner.dryRun(items, configuration: configuration, stateDirectory: state, window: window ?? 2048,
                                                             logger: logger, stop: stop) { _, _ in progress.advance() }
                } else {
                    configuration.stateDirectory = state ?? configuration.stateDirectory
                    outcomes = try await ReplayRunner.offline(items, configuration: configuration, window: window ?? 2048, logger: logger,
                                                              stop: stop) { _, _ in
                        progress.advance()
                    }
                }
            } catch {
                throw CLIError(file: state, error.message, exitCode: .workFailed).report()
            }
        } else {
            let endpoint: MLLPEndpoint
            do {
                endpoint = try MLLPEndpoint(parsing: to ?? "")
            } catch {
                throw CLIError("--to: \(error.message)").report()
            }
            let tls: MLLPClientTLSConfiguration?
            do {
                tls = try self.tls.configuration()
            } catch {
                throw error.report()
            }
            do {
                outcomes = try await ReplayRunner.online(
                    items, to: endpoint, tls: tls, timeout: .milliseconds(Int64(timeout * 1000)), connections: connections,
                    window: window ?? 32, resends: resends, messagesPerSecond: rate, stopOnError: stopOnError, stop: stop) { _, outcome in
                        progress.advance()
                        if !outcome.accepted { InputFile.writeStderr("switchboard: \(Self.line(outcome))\n") }
                    }
            } catch {
                throw CLIError("\(to ?? ""): \(error)", exitCode: .workFailed).report()
            }
        }
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            do {
                try encoder.encode(previous + outcomes).write(to: URL(fileURLWithPath: report))
            } catch {
                throw CLIError(file: report, "cannot write the report: \(error)", exitCode: .workFailed).report()
            }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        progress.finish()
        if interrupt.fired {
            print("interrupted: \(outcomes.count) of \(items.count) messages replayed"
                  + (report.map { "; continue with --resume \($0)" } ?? ""))
        }
        print(ReplaySummary(outcomes).text)
        if dryRun {
            let changing = outcomes.filter { !($0.changes ?? []).isEmpty }
            print("dry run, nothing written: \(changing.count) messages would change the caseload ("
                  + "\(changing.reduce(0) { $0 + ($1.changes?.count ?? 0) }) changes; --report lists them)")
            for outcome in outcomes where !outcome.accepted { print("  would be refused: \(Self.line(outcome))") }
        }
        print("in \(String(format: "%.2f", seconds)) s (\(Int(Double(outcomes.count) / max(seconds, 0.001))) messages/s)"
              + (problems.isEmpty ? "" : "; \(problems.count) damaged input(s) reported above"))
        if !problems.isEmpty || outcomes.contains(where: { !$0.accepted }) || outcomes.count < items.count {
            throw ExitCode(1)
        }
    }

    static func line(_ outcome: ReplayOutcome) -> String {
        "\(outcome.source):\(outcome.offset) control_id=\(outcome.controlID) ack=\(outcome.ack)"
            + outcome.errors.map { " err=\"\($0)\"" }.joined() + (outcome.note.map { " (\($0))" } ?? "")
    }

}

/// Progress on standard error: on a terminal a bar redrawn in place (at most 5 times a
/// second), otherwise a plain line every 2 s (logs, pipes).
final class ReplayProgress: Sendable {
    private struct State {
        var done = 0
        var lastPrint = ContinuousClock.now
        var drawn = false
    }

    private let state = Mutex(State())
    private let total: Int
    private let start = ContinuousClock.now
    private let terminal = isatty(2) == 1

    init(total: Int) { self.total = total }

    func advance() {
        let now = ContinuousClock.now
        let interval: Duration = terminal ? .milliseconds(200) : .seconds(2)
        let done: Int? = state.withLock { state in
            state.done += 1
            guard now - state.lastPrint >= interval, state.done < total else { return nil }
            state.lastPrint = now
            state.drawn = true
            return state.done
        }
        guard let done else { return }
        let elapsed = now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(done) / max(seconds, 0.001)
        let eta = Int(Double(total - done) / max(rate, 0.001))
        if terminal {
            let width = 30
            let filled = min(width, done * width / max(total, 1))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            InputFile.writeStderr("\r[\(bar)] \(done)/\(total)  \(Int(rate)) msg/s  ETA \(eta) s   ")
        } else {
            InputFile.writeStderr("switchboard: replayed \(done)/\(total) (\(Int(rate)) messages/s, about \(eta) s left)\n")
        }
    }

    /// Ends the bar's line (before the summary is printed).
    func finish() {
        let drawn = state.withLock { $0.drawn }
        if terminal, drawn { InputFile.writeStderr("\n") }
    }
}

/// Ctrl-C during a replay: the first stops sending (what is in flight is answered, the summary
/// and report are written), the second quits at once.
final class Interruption: Sendable {
    private let presses = Atomic(0)
    // Created, resumed and cancelled by the command's own task only.
    private nonisolated(unsafe) let source: any DispatchSourceSignal

    private init(source: any DispatchSourceSignal) { self.source = source }

    var fired: Bool { presses.load(ordering: .relaxed) > 0 }

    static func install(_ onFirst: @escaping @Sendable () -> Void) -> Interruption {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let interruption = Interruption(source: source)
        source.setEventHandler {
            if interruption.presses.wrappingAdd(1, ordering: .relaxed).oldValue == 0 {
                InputFile.writeStderr("\nswitchboard: interrupted: finishing the messages in flight (Ctrl-C again to quit now)\n")
                onFirst()
            } else {
                _exit(130)
            }
        }
        source.resume()
        return interruption
    }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
