// A stand-in for systemd's notify socket: receives the daemon's sd_notify datagrams.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An AF_UNIX datagram socket at a temporary path, to pass as `NOTIFY_SOCKET`. Each datagram
/// is one notification (`READY=1\nSTATUS=...`).
public final class FakeNotifySocket {
    /// The socket's path (give it to the daemon as `NOTIFY_SOCKET`).
    public let path: String
    private let directory: String
    private let fd: Int32

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init() throws {
        directory = try TemporaryDirectory.make(prefix: "notify")
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw Failure(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw Failure(description: "bind \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(fd)
        TemporaryDirectory.remove(directory)
    }

    /// The next notification, or `nil` when none arrives within `timeout` seconds.
    public func receive(timeout: Double) -> String? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(max(0, timeout * 1000)))
        guard ready > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Like ``receive(timeout:)`` without blocking a thread: polls every 5 ms and sleeps in
    /// between, so tasks of the same process (an in-process supervisor) keep running even on
    /// a two-core machine whose cooperative pool has two threads.
    public func receiveAsync(timeout: Double) async -> String? {
        let deadline = monotonicSeconds() + timeout
        while true {
            if let next = receive(timeout: 0) { return next }
            if monotonicSeconds() >= deadline { return nil }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    /// ``receive(until:timeout:)`` without blocking a thread.
    public func receiveAsync(until predicate: (String) -> Bool, timeout: Double) async -> [String] {
        var seen: [String] = []
        let deadline = monotonicSeconds() + timeout
        while let next = await receiveAsync(timeout: max(0, deadline - monotonicSeconds())) {
            seen.append(next)
            if predicate(next) { break }
        }
        return seen
    }

    /// Notifications until one satisfies `predicate` (returned last), or all received before
    /// `timeout` seconds passed.
    public func receive(until predicate: (String) -> Bool, timeout: Double) -> [String] {
        var seen: [String] = []
        let deadline = monotonicSeconds() + timeout
        while let next = receive(timeout: deadline - monotonicSeconds()) {
            seen.append(next)
            if predicate(next) { break }
        }
        return seen
    }
}
