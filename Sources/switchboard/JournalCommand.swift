import ArgumentParser

/// `switchboard journal ...`: inspect and fix the journal of a state directory.
struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Inspect, verify and repair the journal of a state directory.",
        discussion: """
            The journal lives in DIR/journal. These commands read it with their own file handles \
            and may run beside a live daemon, except `repair`, which takes the writer lock.
            Exit codes: 0 success, 1 damage found or the work failed, 2 bad usage or input.
            """,
        subcommands: [JournalVerifyCommand.self, JournalDumpCommand.self, JournalExportCommand.self, JournalRepairCommand.self]
    )
}

/// The `--state DIR` option shared by the journal commands.
struct StateDirectoryOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's state directory (the journal is in DIR/journal).", valueName: "DIR"))
    var state: String
}
