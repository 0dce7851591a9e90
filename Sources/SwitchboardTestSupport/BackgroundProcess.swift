// A helper process a test starts and stops (a partner for outbound delivery), its output in
// files of a temporary directory.
#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// A child process with stdout and stderr in files.
public final class BackgroundProcess: Sendable {
    public let pid: pid_t
    public let stdoutPath: String
    public let stderrPath: String

    private init(pid: pid_t, stdoutPath: String, stderrPath: String) {
        self.pid = pid
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    public struct SpawnFailed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `executable arguments...` with stdin from /dev/null; output goes to
    /// `directory/<name>.out` and `.err` (appended).
    public static func start(_ executable: String, _ arguments: [String], directory: String, name: String) throws -> BackgroundProcess {
        let out = directory + "/\(name).out", err = directory + "/\(name).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment = ProcFiles.environment().filter { !$0.hasPrefix("SWITCHBOARD_") && !$0.hasPrefix("NOTIFY_SOCKET=") } + ["SWIFT_BACKTRACE=enable=no"]
        let envp = environment.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw SpawnFailed(description: "posix_spawn \(executable): \(String(cString: strerror(spawned)))") }
        return BackgroundProcess(pid: pid, stdoutPath: out, stderrPath: err)
    }

    /// Waits until stderr contains `text` (nil after `timeout` seconds).
    public func waitForErrorOutput(containing text: String, timeout: Double) -> String? {
        let deadline = monotonicSeconds() + timeout
        repeat {
            if let output = ProcFiles.read(stderrPath), output.contains(text) { return output }
            sleepSeconds(0.02)
        } while monotonicSeconds() < deadline
        return nil
    }

    /// SIGTERM, then waits for the exit (SIGKILL after `timeout` seconds). Returns the status.
    @discardableResult
    public func terminate(timeout: Double = 10) -> Int32 {
        kill(pid, SIGTERM)
        let deadline = monotonicSeconds() + timeout
        var status: Int32 = 0
        while monotonicSeconds() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return status }
            sleepSeconds(0.02)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return status
    }
}
