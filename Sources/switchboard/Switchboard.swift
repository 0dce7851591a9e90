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

    /// Runs the command, mapping ArgumentParser's usage errors (64) to exit code 2 (DESIGN §7).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                var stderr = StandardError()
                print(fullMessage(for: error), to: &stderr)
                exit(withError: ExitCode.badInput)
            }
            exit(withError: error)
        }
    }
}
