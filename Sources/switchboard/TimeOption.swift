import SwitchboardDaemon

/// A time option (`--since`, `--until`): YYYY-MM-DD or ISO 8601; nil when not given; a clear
/// error naming the option otherwise.
func timeOption(_ name: String, _ text: String?) throws(CLIError) -> Int64? {
    guard let text else { return nil }
    guard let time = CaseloadQueryTime.parse(text) else {
        throw CLIError("\(name): expected YYYY-MM-DD or an ISO 8601 time, got '\(text)'")
    }
    return time
}
