import ArgumentParser
import Caseload
import CaseloadStore
import Journal
import SwitchboardDaemon

/// `switchboard caseload`: the care team's view of a state directory (read-only; works while
/// the daemon runs).
struct CaseloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caseload",
        abstract: "Query the caseload kept in a state directory (read-only, also while the daemon runs).",
        discussion: """
            The caseload is rebuilt from the journal on every call, so it shows what was \
            acknowledged. The same views are served as JSON by the daemon's admin listener \
            (/api/v1/...).

            Examples:
              switchboard caseload cases --state /var/lib/switchboard
              switchboard caseload patient GHH:MRN100001 --state /var/lib/switchboard --json
              switchboard caseload tasks --coordinator coord-a --due today --state /var/lib/switchboard
              switchboard caseload history --patient MRN100001 --state /var/lib/switchboard
              switchboard caseload report --since 2026-11-01 --config /etc/switchboard/switchboard.yaml --state /var/lib/switchboard
              switchboard caseload hash --state /var/lib/switchboard
            """,
        subcommands: [Cases.self, PatientCommand.self, Tasks.self, Referrals.self, History.self, Report.self, Hash.self]
    )

    struct Location: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("State directory (as given to serve).", valueName: "DIR"))
        var state: String

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func load() throws -> CaseloadState {
            let directory = JournalConfiguration(stateDirectory: state).directory
            do {
                return try CaseloadState.replay(directory: directory).state
            } catch {
                throw CLIError(file: directory, "\(error)").report()
            }
        }
    }

    struct Cases: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cases, newest first.")
        @OptionGroup var location: Location
        @Option(help: "Only cases with this status (open, closed, cancelled).") var status: String?
        @Option(help: "Only cases of this coordinator ('unassigned' for the queue).") var coordinator: String?

        func run() throws {
            let state = try location.load()
            let cases = CaseloadViews.cases(status: status, coordinator: coordinator, in: state)
            if location.json { return print(CaseloadViews.json(cases)) }
            for c in cases {
                let flags = c.riskFlags.isEmpty ? "" : "  [\(c.riskFlags.joined(separator: ", "))]"
                print("\(c.id)  \(c.status)  patient \(c.patientID)  \(c.coordinator ?? "unassigned")  opened \(c.openedAt)\(flags)")
            }
        }
    }

    struct PatientCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "patient", abstract: "One patient with cases, tasks, appointments, referrals and flags.")
        @OptionGroup var location: Location
        @Argument(help: "An identifier: AUTHORITY:VALUE, a bare value, or the patient id.") var identifier: String

        func run() throws {
            let state = try location.load()
            guard let detail = CaseloadViews.patientDetail(identifier, in: state) else {
                throw CLIError("no patient matches \(identifier)", exitCode: .workFailed).report()
            }
            if location.json { return print(CaseloadViews.json(detail)) }
            let p = detail.patient
            print("\(p.name.isEmpty ? p.id : p.name)  (\(p.identifiers.joined(separator: ", ")))\(p.birthDate.isEmpty ? "" : "  born \(p.birthDate)")")
            if !detail.riskFlags.isEmpty { print("flags: \(detail.riskFlags.joined(separator: ", "))") }
            for e in detail.encounters {
                print("encounter \(e.id)  \(e.status)  class \(e.patientClass)  \(e.location)  admitted \(e.admittedAt ?? "?")\(e.dischargedAt.map { "  discharged \($0)" } ?? "")")
            }
            for c in detail.cases { print("case \(c.id)  \(c.status)  \(c.coordinator ?? "unassigned")") }
            for t in detail.tasks { print("task \(t.id)  \(t.kind)  due \(t.dueAt)  \(t.status)\(t.resolution.isEmpty ? "" : " (\(t.resolution))")") }
            for a in detail.appointments { print("appointment \(a.id)  \(a.startsAt ?? "?")  \(a.status)") }
            for r in detail.referrals { print("referral \(r.id)  \(r.direction)  \(r.partner)  \(r.status)") }
        }
    }

    struct Tasks: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open tasks, soonest due first: a coordinator's worklist.")
        @OptionGroup var location: Location
        @Option(help: "Only tasks of this coordinator's cases ('unassigned' for the queue).") var coordinator: String?
        @Option(help: "Only tasks due before: today, tomorrow, YYYY-MM-DD or an ISO 8601 time.") var due: String?
        @Flag(help: "Include satisfied and cancelled tasks.") var all = false

        func run() throws {
            let state = try location.load()
            var dueBefore: Int64?
            if let due {
                guard let parsed = CaseloadQueryTime.parse(due) else { throw CLIError("--due \(due): expected today, tomorrow, YYYY-MM-DD or an ISO 8601 time").report() }
                dueBefore = parsed
            }
            let tasks = CaseloadViews.tasks(dueBefore: dueBefore, coordinator: coordinator, includeResolved: all, in: state)
            if location.json { return print(CaseloadViews.json(tasks)) }
            if tasks.isEmpty { print("nothing due") }
            for t in tasks {
                print("[\(t.status == "open" ? " " : "x")] \(t.dueAt)  \(t.kind)  patient \(t.patientID)  case \(t.caseID)  (\(t.id))")
            }
        }
    }

    struct Referrals: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Referrals, inbound and outbound.")
        @OptionGroup var location: Location

        func run() throws {
            let referrals = CaseloadViews.referrals(in: try location.load())
            if location.json { return print(CaseloadViews.json(referrals)) }
            for r in referrals { print("\(r.id)  \(r.direction)  \(r.partner)  \(r.status)  patient \(r.patientID)") }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit trail of one patient: which message changed what.")
        @OptionGroup var location: Location
        @Option(help: "The patient (identifier or id).") var patient: String

        func run() throws {
            guard let history = CaseloadViews.history(patient, in: try location.load()) else {
                throw CLIError("no patient matches \(patient)", exitCode: .workFailed).report()
            }
            if location.json { return print(CaseloadViews.json(history)) }
            for entry in history {
                print("#\(entry.sequence)  \(entry.at)  \(entry.messageType)  \(entry.controlID)")
                for change in entry.changes { print("    \(change)") }
            }
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Quality figures: open cases per coordinator, overdue tasks, discharges contacted in time, 30-day readmissions.",
            discussion: """
                Discharges and admissions are counted from --since (default: 30 days before --until) \
                until --until (default: now), when tasks are also judged overdue or not. \
                --config reads the coordinators and the readmission window from the daemon's \
                configuration file; without it, coordinators are listed by id as the caseload names them.
                """)
        @OptionGroup var location: Location
        @Option(help: ArgumentHelp("Count discharges and admissions from this day (YYYY-MM-DD or ISO 8601).", valueName: "DATE"))
        var since: String?
        @Option(help: ArgumentHelp("The report's moment: overdue is judged and the period ends here (default: now).", valueName: "DATE"))
        var until: String?
        @Option(help: ArgumentHelp("The daemon's configuration file (coordinators, rules).", valueName: "FILE"))
        var config: String?

        func run() async throws {
            var configuration = DaemonConfiguration()
            if let config {
                do {
                    try await ConfigurationFile.apply(config, to: &configuration)
                } catch {
                    throw CLIError("\(error)").report()
                }
            }
            let now: Int64, from: Int64
            do {
                now = try timeOption("--until", until) ?? CaseloadQueryTime.now
                from = try timeOption("--since", since) ?? now - 30 * 86_400
            } catch {
                throw error.report()
            }
            let state = try location.load()
            let view = CaseloadViews.report(QualityReport(state: state, rules: configuration.caseloadRules, now: now, since: from))
            print(location.json ? CaseloadViews.json(view) : CaseloadViews.text(view))
        }
    }

    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The caseload's canonical hash (equal for equal caseloads, however built).",
            discussion: """
                By default the caseload is read from the newest snapshot and the records after it, \
                as the daemon starts. --full replays every record instead (the journal must still \
                hold them all); --verify does both and exits 1 when the hashes differ.
                """)
        @OptionGroup var location: Location
        @Flag(help: "Replay every record, ignoring snapshots.") var full = false
        @Flag(help: "Compare the snapshot-based and the full-replay hash; exit 1 when they differ.") var verify = false

        func run() throws {
            let directory = JournalConfiguration(stateDirectory: location.state).directory
            func read(fromSnapshot: Bool, through limit: UInt64 = .max) throws -> CaseloadState.Replay {
                do {
                    return try CaseloadState.replay(directory: directory, fromSnapshot: fromSnapshot, through: limit)
                } catch {
                    throw CLIError(file: directory, "\(error)").report()
                }
            }
            let primary = try read(fromSnapshot: !full)
            var stderr = StandardError()
            for skipped in primary.skippedSnapshots { print("switchboard: warning: snapshot skipped: \(skipped)", to: &stderr) }
            guard verify else {
                if location.json {
                    return print(#"{"hash":"\#(primary.state.canonicalHash)","snapshot_seq":\#(primary.snapshotSequence),"records_replayed":\#(primary.records)}"#)
                }
                return print(primary.state.canonicalHash)
            }
            // The same journal prefix for both (a running daemon may append meanwhile).
            let replayed = full ? primary : try read(fromSnapshot: false, through: primary.lastSequence)
            let snapshotHash = primary.state.canonicalHash, fullHash = replayed.state.canonicalHash
            if location.json {
                print(#"{"snapshot_hash":"\#(snapshotHash)","snapshot_seq":\#(primary.snapshotSequence),"full_replay_hash":"\#(fullHash)","match":\#(snapshotHash == fullHash)}"#)
            } else {
                print("snapshot \(primary.snapshotSequence) + \(primary.records) records: \(snapshotHash)")
                print("full replay of \(replayed.records) records: \(fullHash)")
                print(snapshotHash == fullHash ? "match" : "MISMATCH")
            }
            if snapshotHash != fullHash { throw ExitCode(1) }
        }
    }
}
