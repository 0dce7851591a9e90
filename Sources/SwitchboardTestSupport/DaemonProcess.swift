// The real `switchboard serve` process for black-box tests: spawn, find the port, capture the
// log, signal, restart on the same state directory, read /proc figures.
import Synchronization
#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// A running (or stopped) `switchboard serve` with its own temporary state directory.
///
/// ```swift
/// let daemon = try DaemonProcess.start(executable: DaemonProcess.executable(repositoryRoot: root))
/// defer { daemon.cleanUp() }
/// let connection = try LoopbackMLLPConnection(port: daemon.port)
/// ...
/// #expect(daemon.terminate() == 0)
/// try daemon.restart()          // same state directory, new port
/// ```
///
/// Standard output and error are read continuously by a background thread (a chatty daemon
/// never blocks on a full pipe) and kept for the whole life of the object, across restarts.
/// The child runs with `SWIFT_BACKTRACE=enable=no`, so a crash ends at once with its fatal
/// error message instead of a multi-second backtrace.
public final class DaemonProcess: Sendable {
    /// The daemon exited before it reported a listening address.
    public struct ExitedBeforeListening: Error, CustomStringConvertible {
        public var status: Int32
        public var errorOutput: String
        public var description: String { "switchboard serve exited with status \(status) before listening:\n\(errorOutput)" }
    }

    /// No listening address appeared in time.
    public struct StartTimedOut: Error, CustomStringConvertible {
        public var errorOutput: String
        public var description: String { "switchboard serve did not report a listening address in time:\n\(errorOutput)" }
    }

    /// The executable that is run.
    public let executable: String
    /// A private temporary directory (mode 0700) holding the state directory (unless one was
    /// given to ``start(executable:arguments:umask:stateDirectory:startTimeout:)``).
    public let workDirectory: String
    /// The state directory given with `--state` (created by the daemon on first start).
    public let stateDirectory: String
    /// Arguments after `serve --listen 127.0.0.1:0 --state DIR`.
    public let arguments: [String]
    /// When set, the daemon is started through `/bin/sh -c` with this umask (T18).
    public let umask: String?
    /// Variables added to the daemon's environment (`NOTIFY_SOCKET`, `SWITCHBOARD_*`, ...).
    public let environment: [String: String]
    /// Sets `JOURNAL_STREAM` to the daemon's standard error pipe, as systemd does for a service
    /// logging to the journal.
    public let stderrIsJournal: Bool

    private struct Run {
        var pid: pid_t
        var port: Int?
        var adminPort: Int?
        var exitStatus: Int32?
        var reader: BackgroundThread<Void>?
        /// Offset in the captured standard error where this run's output starts.
        var stderrStart: Int
    }

    private struct Captured {
        var stderr: [UInt8] = []
        var stdout: [UInt8] = []
    }

    private let runs = Mutex<[Run]>([])
    private let captured = Mutex(Captured())

    private init(
        executable: String, workDirectory: String, stateDirectory: String, arguments: [String], umask: String?,
        environment: [String: String], stderrIsJournal: Bool
    ) {
        self.executable = executable
        self.workDirectory = workDirectory
        self.stateDirectory = stateDirectory
        self.arguments = arguments
        self.umask = umask
        self.environment = environment
        self.stderrIsJournal = stderrIsJournal
    }

    /// The `switchboard` executable: `$SWITCHBOARD_DAEMON_BINARY` when set (soak runs against a
    /// release build), else the one built next to the test bundle when present, else
    /// `<repositoryRoot>/.build/debug/switchboard`.
    public static func executable(repositoryRoot: String) -> String {
        if let override = getenv("SWITCHBOARD_DAEMON_BINARY").map({ String(cString: $0) }), !override.isEmpty { return override }
        if let beside = CommandRunner.switchboardPath { return beside }
        return repositoryRoot + "/.build/debug/switchboard"
    }

    /// Starts `executable serve --listen 127.0.0.1:0 --admin 127.0.0.1:0 --state <fresh temp
    /// dir>/state arguments...` and waits until it logs its MLLP listening address.
    /// - Parameter stateDirectory: a state directory to use instead of `<fresh temp dir>/state`
    ///   (e.g. one on a small tmpfs, T7). It belongs to the caller: ``cleanUp()`` leaves it.
    public static func start(
        executable: String, arguments: [String] = [], umask: String? = nil, stateDirectory: String? = nil,
        environment: [String: String] = [:], stderrIsJournal: Bool = false, startTimeout: Double = 60
    ) throws -> DaemonProcess {
        let work = try TemporaryDirectory.make(prefix: "switchboard-daemon")
        let daemon = DaemonProcess(executable: executable, workDirectory: work, stateDirectory: stateDirectory ?? work + "/state",
                                   arguments: arguments, umask: umask, environment: environment, stderrIsJournal: stderrIsJournal)
        do {
            try daemon.launch(startTimeout: startTimeout)
        } catch {
            daemon.cleanUp()
            throw error
        }
        return daemon
    }

    /// Starts the daemon again on the same state directory (after ``terminate()`` or
    /// ``kill()``); the port is a new one. Throws ``ExitedBeforeListening`` when start-up is
    /// refused.
    public func restart(startTimeout: Double = 60) throws {
        precondition(!isRunning, "restart() needs the previous run to have exited")
        try launch(startTimeout: startTimeout)
    }

    // MARK: - State

    /// The process id of the current (or last) run.
    public var pid: pid_t { runs.withLock { $0.last?.pid ?? 0 } }

    /// The MLLP port of the current run.
    public var port: Int { runs.withLock { $0.last?.port ?? 0 } }

    /// The admin HTTP port of the current run (0: not bound yet, or `--admin off`).
    public var adminPort: Int {
        if let known = runs.withLock({ $0.last?.adminPort }) { return known }
        guard let found = listeningPort(message: "admin listening", addressKey: "admin.address", listener: nil) else { return 0 }
        runs.withLock { $0[$0.count - 1].adminPort = found }
        return found
    }

    /// Waits (up to `timeout` seconds) for the admin listener and returns its port.
    public func waitForAdminPort(timeout: Double = 10) -> Int? {
        let deadline = monotonicSeconds() + timeout
        while monotonicSeconds() < deadline {
            let port = adminPort
            if port != 0 { return port }
            sleepSeconds(0.01)
        }
        return nil
    }

    /// Whether the current run has not exited (reaps it if it has).
    public var isRunning: Bool { waitForExit(timeout: 0) == nil }

    /// Standard error of every run so far, as text.
    public var errorOutput: String { String(decoding: captured.withLock { $0.stderr }, as: UTF8.self) }

    /// Standard output of every run so far, as text.
    public var standardOutput: String { String(decoding: captured.withLock { $0.stdout }, as: UTF8.self) }

    /// Complete lines of standard error of every run.
    public var errorLines: [String] { Self.lines(errorOutput) }

    /// Complete lines of standard error of the current run only.
    public var currentRunErrorLines: [String] {
        let start = runs.withLock { $0.last?.stderrStart ?? 0 }
        let bytes = captured.withLock { Array($0.stderr[min(start, $0.stderr.count)...]) }
        return Self.lines(String(decoding: bytes, as: UTF8.self))
    }

    /// Lines of standard error (all runs) that contain `text`.
    public func errorLines(containing text: String) -> [String] { errorLines.filter { $0.contains(text) } }

    /// Waits until a line of the current run contains `text`; returns it, or `nil` on timeout.
    public func waitForErrorLine(containing text: String, timeout: Double) -> String? {
        let deadline = monotonicSeconds() + timeout
        repeat {
            if let line = currentRunErrorLines.first(where: { $0.contains(text) }) { return line }
            sleepSeconds(0.01)
        } while monotonicSeconds() < deadline
        return nil
    }

    // MARK: - Signals and exit

    /// Sends SIGTERM and waits (up to `timeout`, then SIGKILL) for the exit status (the exit
    /// code, or 128 + signal).
    @discardableResult
    public func terminate(timeout: Double = 30) -> Int32 {
        signal(SIGTERM)
        if let status = waitForExit(timeout: timeout) { return status }
        signal(SIGKILL)
        return waitForExit(timeout: 30) ?? -1
    }

    /// Sends SIGKILL and waits for the exit status.
    @discardableResult
    public func kill() -> Int32 {
        signal(SIGKILL)
        return waitForExit(timeout: 30) ?? -1
    }

    /// Sends `signal` to the current run if it is still running.
    public func signal(_ number: Int32) {
        let pid = runs.withLock { runs -> pid_t in
            guard let last = runs.last, last.exitStatus == nil else { return 0 }
            return last.pid
        }
        if pid > 0 { sendSignal(pid, number) }
    }

    /// The exit status of the current run once it has exited, waiting up to `timeout` seconds;
    /// `nil` while it still runs. Reaps the child and collects the rest of its output.
    public func waitForExit(timeout: Double) -> Int32? {
        let deadline = monotonicSeconds() + timeout
        while true {
            let (pid, known) = runs.withLock { ($0.last?.pid ?? 0, $0.last?.exitStatus) }
            if let known { return known }
            guard pid > 0 else { return nil }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno == ECHILD) {
                let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
                let reader = runs.withLock { runs -> BackgroundThread<Void>? in
                    runs[runs.count - 1].exitStatus = code
                    defer { runs[runs.count - 1].reader = nil }
                    return runs[runs.count - 1].reader
                }
                reader?.join()
                return code
            }
            if monotonicSeconds() >= deadline { return nil }
            sleepSeconds(0.005)
        }
    }

    /// Stops the daemon if it still runs (SIGKILL) and removes the temporary directory.
    public func cleanUp() {
        if isRunning { kill() }
        TemporaryDirectory.remove(workDirectory)
    }

    // MARK: - /proc figures (Linux)

    /// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`) in bytes.
    public func statusBytes(_ field: String) -> Int? {
        guard let text = ProcFiles.read("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let number = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            return number.map { $0 * 1024 }
        }
        return nil
    }

    /// The resident set size now, in bytes.
    public var residentBytes: Int? { statusBytes("VmRSS") }

    /// The peak resident set size so far, in bytes.
    public var peakResidentBytes: Int? { statusBytes("VmHWM") }

    /// The targets of the daemon's open file descriptors (`socket:[123]`, paths, ...).
    public func openFileDescriptors() -> [String] {
        let directory = "/proc/\(pid)/fd"
        return TemporaryDirectory.entries(directory).compactMap { name in
            var buffer = [CChar](repeating: 0, count: 4096)
            let n = readlink(directory + "/" + name, &buffer, buffer.count - 1)
            guard n >= 0 else { return nil }
            return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Open sockets of the daemon (listeners included).
    public func openSocketCount() -> Int { openFileDescriptors().filter { $0.hasPrefix("socket:") }.count }

    /// `/proc/PID/limits` as text.
    public var limits: String? { ProcFiles.read("/proc/\(pid)/limits") }

    // MARK: - Launch

    private func launch(startTimeout: Double) throws {
        var serve = [executable, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--state", stateDirectory] + arguments
        var path = executable
        if let umask {
            serve = ["/bin/sh", "-c", "umask \(umask) && exec \"$0\" \"$@\""] + serve
            path = "/bin/sh"
        }
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw ExitedBeforeListening(status: -1, errorOutput: "pipe failed: \(errno)")
        }
        // Close-on-exec, so that other children (a second daemon) never hold these pipes open.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        let argv = serve.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Nothing of the test runner's own supervisor (systemd) or settings leaks in.
        let inheritedOut = ["SWIFT_BACKTRACE=", "STATE_DIRECTORY=", "NOTIFY_SOCKET=", "WATCHDOG_", "JOURNAL_STREAM=", "SWITCHBOARD_"]
        var environment = ProcFiles.environment().filter { variable in !inheritedOut.contains { variable.hasPrefix($0) } }
        environment.append("SWIFT_BACKTRACE=enable=no")
        environment += self.environment.map { "\($0.key)=\($0.value)" }
        if stderrIsJournal {
            var info = stat()
            if fstat(errPipe[1], &info) == 0 { environment.append("JOURNAL_STREAM=\(info.st_dev):\(info.st_ino)") }
        }
        let envp = environment.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        posix_spawn_file_actions_destroy(&actions)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw ExitedBeforeListening(status: -1, errorOutput: "posix_spawn \(path) failed: \(String(cString: strerror(spawned)))")
        }
        let start = captured.withLock { $0.stderr.count }
        let (outFD, errFD) = (outPipe[0], errPipe[0])
        let reader = BackgroundThread { [self] in
            self.drain(stdoutFD: outFD, stderrFD: errFD)
        }
        runs.withLock { $0.append(Run(pid: pid, port: nil, exitStatus: nil, reader: reader, stderrStart: start)) }
        let deadline = monotonicSeconds() + startTimeout
        while true {
            if let port = listeningPort() {
                runs.withLock { $0[$0.count - 1].port = port }
                return
            }
            if let status = waitForExit(timeout: 0) {
                throw ExitedBeforeListening(status: status, errorOutput: currentRunErrorLines.joined(separator: "\n"))
            }
            if monotonicSeconds() >= deadline {
                let output = currentRunErrorLines.joined(separator: "\n")
                kill()
                throw StartTimedOut(errorOutput: output)
            }
            sleepSeconds(0.01)
        }
    }

    /// The port in this run's `msg="mllp listening" ... mllp.address=HOST:PORT mllp.listener=mllp` line.
    private func listeningPort() -> Int? {
        listeningPort(message: "mllp listening", addressKey: "mllp.address", listener: "mllp.listener=mllp")
    }

    /// The port in this run's `msg="MESSAGE" ... KEY=HOST:PORT` line.
    private func listeningPort(message: String, addressKey: String, listener: String?) -> Int? {
        for line in currentRunErrorLines where line.contains("msg=\"\(message)\"") {
            let fields = line.split(separator: " ")
            guard listener.map({ fields.contains(Substring($0)) }) ?? true,
                  let field = fields.first(where: { $0.hasPrefix(addressKey + "=") }),
                  let colon = field.lastIndex(of: ":"), let port = Int(field[field.index(after: colon)...]) else { continue }
            return port
        }
        return nil
    }

    private func drain(stdoutFD: Int32, stderrFD: Int32) {
        CommandRunner.pumpBoth(stdoutFD, stderrFD) { stream, bytes in
            captured.withLock { (output: inout Captured) in
                if stream == 0 { output.stdout.append(contentsOf: bytes) } else { output.stderr.append(contentsOf: bytes) }
            }
        }
    }

    private static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // the text after the last newline is not a complete line yet
        return lines
    }
}

/// Small file helpers for tests.
public enum ProcFiles {
    /// A whole (small) file as text, or `nil`.
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { readBytes(fd, $0.baseAddress, $0.count) }
            if n > 0 { bytes += buffer[0..<n] } else if n < 0 && errno == EINTR { continue } else { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// This process's environment as `NAME=value` strings.
    public static func environment() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }
}

/// Private temporary directories.
public enum TemporaryDirectory {
    /// Creates a new directory `/tmp/<prefix>-XXXXXX` (mode 0700) and returns its path.
    public static func make(prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw DaemonProcess.ExitedBeforeListening(status: -1, errorOutput: "mkdtemp failed: \(errno)")
        }
        return String(cString: made)
    }

    /// The names in a directory (without `.` and `..`).
    public static func entries(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Every path below `root` (not following symbolic links) with its `stat` mode.
    public static func walk(_ root: String) -> [(path: String, mode: mode_t)] {
        var result: [(String, mode_t)] = []
        for name in entries(root) {
            let path = root + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            result.append((path, info.st_mode))
            if info.st_mode & S_IFMT == S_IFDIR { result += walk(path) }
        }
        return result
    }

    /// Removes `path` and everything below it.
    public static func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            _ = chmod(path, 0o700)
            for name in entries(path) { remove(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

private func sendSignal(_ pid: pid_t, _ number: Int32) {
    _ = kill(pid, number)
}

private func readBytes(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
