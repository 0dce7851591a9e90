import ArgumentParser
import Glibc
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
            printError("switchboard journal verify: \(error)")
            throw ExitCode(error.code == .notFound ? 2 : 1)
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
            printError("problem: \(problem.message)")
            printError("the journal will not open; repair cannot fix damage before the tail: restore the segment from a backup")
            throw ExitCode(1)
        }
        if let torn = walk.tornTail {
            printError("problem: torn tail in segment \(torn.segment) at offset \(torn.offset) (\(torn.bytesAfter) bytes): \(torn.reason)")
            printError("the next start (or `switchboard journal repair --state \(options.state)`) cuts these bytes off")
            throw ExitCode(1)
        }
        print("  ok")
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    var standardError = StandardErrorStream()
    print(text, to: &standardError)
}

struct StandardErrorStream: TextOutputStream {
    mutating func write(_ string: String) {
        let bytes = Array(string.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
