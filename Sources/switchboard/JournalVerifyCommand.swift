import ArgumentParser
import Journal

/// `switchboard journal verify --state DIR`: checks every record of every segment.
struct JournalVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every record's framing, checksum and sequence; report the first problem.",
        discussion: """
            Example: switchboard journal verify --state /var/lib/switchboard
            Exit 0 when the journal is clean, 1 when damage is found (the message names the \
            segment file and byte offset), 2 when there is no journal.
            """
    )

    @OptionGroup var options: StateDirectoryOption

    func run() throws {
        let directory = JournalConfiguration(stateDirectory: options.state).directory
        let walk: JournalWalk
        do {
            walk = try JournalMaintenance.verify(directory: directory)
        } catch {
            throw CLIError(journal: error, directory: directory).report()
        }
        let first = walk.segments.first?.firstSequence ?? 0
        let last = walk.nextSequence - 1
        print("journal \(directory)")
        print("  segments: \(walk.segments.count)")
        print("  records: \(walk.records)" + (walk.records > 0 ? " (seq \(first)...\(last))" : ""))
        if let snapshot = walk.snapshot {
            print("  snapshot: covers seq \(snapshot.sequence), \(snapshot.blob.count) bytes")
        } else {
            print("  snapshot: none")
        }
        for skipped in walk.skippedSnapshots {
            print("  skipped snapshot \(skipped.file): \(skipped.reason)")
        }
        if let problem = walk.problem {
            throw CLIError(
                journal: problem, directory: directory,
                hint: "the journal will not open; repair cannot cut damage before the tail: restore that segment from a backup"
            ).report()
        }
        if let torn = walk.tornTail {
            throw CLIError(
                file: joinPath(directory, torn.segment), offset: Int(torn.offset),
                "torn tail of \(torn.bytesAfter) bytes: \(torn.reason); the next start (or `switchboard journal repair --state \(options.state)`) cuts it off",
                exitCode: .workFailed
            ).report()
        }
        print("  ok")
    }
}

extension CLIError {
    /// A journal error as a CLI error: `FILE:OFFSET: message`, exit 2 when there is no journal,
    /// 1 otherwise.
    init(journal error: JournalError, directory: String, hint: String? = nil) {
        let file = error.location.map { joinPath(directory, $0.file) }
        let message = error.message + (hint.map { "; \($0)" } ?? "")
        self.init(file: file, offset: error.location?.offset.map { Int($0) }, message,
                  exitCode: error.code == .notFound ? .badInput : .workFailed)
    }
}
