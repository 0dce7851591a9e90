import ArgumentParser

/// The `switchboard` command line: a table of contents. Each subcommand lives in its own file
/// and calls one library function.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "HL7 v2 interface daemon and tools for care coordination.",
        discussion: """
            Exit codes: 0 success, 1 the work failed (e.g. some messages rejected), \
            2 bad usage or input.
            """,
        subcommands: Switchboard.allSubcommands
    )
}
