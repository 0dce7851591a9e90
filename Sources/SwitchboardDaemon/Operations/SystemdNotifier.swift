// The systemd notify protocol (sd_notify(3)), spoken directly: one datagram per state change
// to the AF_UNIX socket named by $NOTIFY_SOCKET.
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

/// Sends `READY=1`, `STATUS=...`, `WATCHDOG=1`, `RELOADING=1` and `STOPPING=1` to systemd.
/// Without `$NOTIFY_SOCKET` (not started by systemd with `Type=notify`) every call is a no-op.
public struct SystemdNotifier: Sendable {
    /// The socket path (`@` first: Linux abstract namespace), or `nil` when not under systemd.
    public let socketPath: String?
    /// How often systemd expects `WATCHDOG=1` (`$WATCHDOG_USEC`, for this process), if at all.
    public let watchdogInterval: Duration?

    /// Reads `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID` from the environment.
    public static func fromEnvironment() -> SystemdNotifier {
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } }
        var watchdog: Duration?
        if let usec = variable("WATCHDOG_USEC").flatMap(UInt64.init), usec > 0 {
            // WATCHDOG_PID, when set, names the process the watchdog is meant for.
            if variable("WATCHDOG_PID").flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
                watchdog = .microseconds(Int64(clamping: usec))
            }
        }
        return SystemdNotifier(socketPath: variable("NOTIFY_SOCKET"), watchdogInterval: watchdog)
    }

    public init(socketPath: String?, watchdogInterval: Duration?) {
        self.socketPath = socketPath
        self.watchdogInterval = watchdogInterval
    }

    /// True when there is a notify socket to talk to.
    public var isEnabled: Bool { socketPath != nil }

    /// `READY=1` with a status line.
    public func ready(status: String) { send("READY=1\nSTATUS=\(Self.oneLine(status))") }
    /// `STATUS=...`: the line `systemctl status` shows.
    public func status(_ text: String) { send("STATUS=\(Self.oneLine(text))") }
    /// `WATCHDOG=1`: the daemon is alive and its journal writer answers.
    public func watchdog() { send("WATCHDOG=1") }
    /// `RELOADING=1` with the monotonic time systemd (>= 253) wants alongside it.
    public func reloading() { send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())\nSTATUS=reloading configuration") }
    /// `STOPPING=1`: draining has begun.
    public func stopping(status: String) { send("STOPPING=1\nSTATUS=\(Self.oneLine(status))") }

    /// Sends one datagram; errors are ignored (systemd may be gone, and the daemon must not
    /// stop serving because its supervisor cannot be told).
    public func send(_ state: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        let bytes = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { buffer in
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    private static func monotonicMicroseconds() -> UInt64 { UInt64(WallClock.monotonicMicroseconds()) }
}
