// Process-level protections applied before any file is created (TESTPLAN "Files at rest",
// "PHI in logs": no core dumps, private files).
import CProcessControl
// Foundation (used by the caseload JSON views in this module) re-declares the C structs via
// Dispatch; importing it here keeps one visible declaration of timespec/stat.
import Foundation
#if canImport(CDispatch)
import CDispatch
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `serve` does to the process before opening anything.
enum ProcessHardening {
    /// `umask(077)` so every file is created 0600 and every directory 0700; core dumps off
    /// (they would hold patient data); SIGPIPE and SIGXFSZ ignored so a closed peer or a file
    /// size limit surfaces as an error, not a kill.
    static func apply() {
        umask(0o077)
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        _ = switchboard_disable_dumpable()
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
    }

    /// Creates the state directory 0700 if missing; refuses one that group or others can
    /// access or that another user owns.
    static func prepareStateDirectory(_ path: String) throws(DaemonError) {
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw DaemonError("cannot read state directory \(path): \(describeErrno())") }
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
                throw DaemonError("cannot create state directory \(path): \(describeErrno())")
            }
            guard stat(path, &info) == 0 else { throw DaemonError("cannot read state directory \(path): \(describeErrno())") }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw DaemonError("state directory \(path) is not a directory") }
        guard info.st_uid == geteuid() else {
            throw DaemonError("state directory \(path) belongs to uid \(info.st_uid), not to this process (uid \(geteuid()))")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw DaemonError("state directory \(path) has mode \(String(mode, radix: 8)): group and others must have no access (chmod 700 \(path))")
        }
    }

    private static func describeErrno() -> String { String(cString: strerror(errno)) }
}

/// A start-up failure of the daemon, with a message for the operator.
public struct DaemonError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
