import SwitchboardTestSupport
import Testing

/// Runs the `switchboard` executable built next to the test bundle; records an issue (and
/// throws) when it was not built.
func runSwitchboard(_ args: [String], input: [UInt8] = []) throws -> CommandResult {
    let path = try #require(CommandRunner.switchboardPath, "switchboard executable not built next to the tests")
    return CommandRunner.run(path, args, input: input)
}
