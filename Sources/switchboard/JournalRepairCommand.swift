import ArgumentParser
import Journal

/// `switchboard journal repair --state DIR`: cuts a damaged tail, keeping the bytes aside.
struct JournalRepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Cut a torn or corrupt tail off the last segment, saving the cut bytes first.",
        discussion: """
            Example: switchboard journal repair --state /var/lib/switchboard
            Only damage at the end of the last segment can be cut without losing acknowledged \
            records; the cut bytes are saved as DIR/journal/torn-<segment>-at-<offset>.bin. \
            Damage anywhere else is refused (exit 1): restore that segment from a backup. \
            Stop the daemon first: repair takes the writer lock.
            """
    )

    @OptionGroup var options: StateDirectoryOption

    func run() throws {
        let directory = JournalConfiguration(stateDirectory: options.state).directory
        do {
            let outcome = try JournalMaintenance.repair(directory: directory)
            if let torn = outcome.truncated {
                print("cut \(torn.bytesAfter) bytes off \(torn.segment) at offset \(torn.offset) (\(torn.reason))")
                print("saved the cut bytes to \(outcome.savedTo ?? "?")")
            } else {
                print("journal \(directory) has no damaged tail; nothing to repair")
            }
        } catch {
            throw CLIError(journal: error, directory: directory).report()
        }
    }
}
