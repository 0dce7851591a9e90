import ArgumentParser

/// A failure a CLI command reports: `switchboard: FILE:OFFSET: message`, exit 2 for bad input
/// or usage, 1 for work that failed.
struct CLIError: Error, CustomStringConvertible {
    var file: String?
    var offset: Int?
    var message: String
    var exitCode: ExitCode

    init(file: String? = nil, offset: Int? = nil, _ message: String, exitCode: ExitCode = .badInput) {
        self.file = file
        self.offset = offset
        self.message = message
        self.exitCode = exitCode
    }

    var description: String {
        var where_ = ""
        if let file { where_ += (file == "-" ? "<stdin>" : file) + ":" }
        if let offset { where_ += "\(offset):" }
        return where_.isEmpty ? message : where_ + " " + message
    }

    /// Prints the error to standard error and returns the exit code to throw.
    func report() -> ExitCode {
        var stderr = StandardError()
        print("switchboard: \(description)", to: &stderr)
        return exitCode
    }
}

/// Standard error as a `TextOutputStream`.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        InputFile.writeStderr(string)
    }
}

extension ExitCode {
    /// 2: bad usage or input (DESIGN §7).
    static let badInput = ExitCode(2)
    /// 1: the work failed (e.g. some messages were rejected).
    static let workFailed = ExitCode(1)
}
