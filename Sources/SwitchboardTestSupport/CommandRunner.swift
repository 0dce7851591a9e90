#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a program with arguments and optional standard input, capturing its output; for tests
/// of the `switchboard` executable. Blocking; tests call it from a detached context.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]

    /// Standard output as UTF-8 text.
    public var output: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error as UTF-8 text.
    public var errorOutput: String { String(decoding: stderr, as: UTF8.self) }
}

public enum CommandRunner {
    /// The directory holding the test binary: SwiftPM builds the executables next to it.
    public static var buildDirectory: String {
        var path = CommandLine.arguments[0]
        if let slash = path.lastIndex(of: "/") { path = String(path[..<slash]) } else { path = "." }
        // On Linux the test bundle is .build/<config>/<Package>PackageTests.xctest (a file).
        return path
    }

    /// The path of the built `switchboard` executable, if it exists.
    public static var switchboardPath: String? {
        let candidate = buildDirectory + "/switchboard"
        return access(candidate, X_OK) == 0 ? candidate : nil
    }

    /// Runs `path` with `arguments`, feeding `input` on standard input.
    public static func run(_ path: String, _ arguments: [String], input: [UInt8] = []) -> CommandResult {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        pipe(&inPipe); pipe(&outPipe); pipe(&errPipe)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in inPipe + outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard spawned == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            return CommandResult(status: -1, stdout: [], stderr: Array("spawn failed: \(spawned)".utf8))
        }
        // Write input from a thread so a chatty child cannot deadlock us.
        let writerInput = input
        let writeFD = inPipe[1]
        var writer = pthread_t()
        let box = Unmanaged.passRetained(WriteJob(fd: writeFD, bytes: writerInput))
        pthread_create(&writer, nil, { raw in
            let job = Unmanaged<WriteJob>.fromOpaque(raw!).takeRetainedValue()
            job.run()
            return nil
        }, box.toOpaque())
        let errFD = errPipe[0]
        var errBytes: [UInt8] = []
        let out = drainBoth(outPipe[0], errFD, &errBytes)
        pthread_join(writer, nil)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return CommandResult(status: exit, stdout: out, stderr: errBytes)
    }

    static func drainBoth(_ outFD: Int32, _ errFD: Int32, _ err: inout [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var errors: [UInt8] = []
        pumpBoth(outFD, errFD) { stream, bytes in
            if stream == 0 { out += bytes } else { errors += bytes }
        }
        err += errors
        return out
    }

    /// Reads two pipes until both are closed, handing each chunk over with its stream number
    /// (0: the first descriptor, 1: the second); closes the descriptors.
    static func pumpBoth(_ firstFD: Int32, _ secondFD: Int32, _ body: (Int, ArraySlice<UInt8>) -> Void) {
        var fds = [pollfd(fd: firstFD, events: Int16(POLLIN), revents: 0), pollfd(fd: secondFD, events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while open > 0 {
            guard poll(&fds, 2, -1) >= 0 else { if errno == EINTR { continue }; break }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    body(i, buffer[0..<n])
                } else if n == 0 || errno != EINTR {
                    close(fds[i].fd)
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
    }
}

final class WriteJob {
    let fd: Int32
    let bytes: [UInt8]
    init(fd: Int32, bytes: [UInt8]) {
        self.fd = fd
        self.bytes = bytes
    }

    func run() {
        signal(SIGPIPE, SIG_IGN)
        bytes.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; break }
                offset += n
            }
        }
        close(fd)
    }
}
