import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback TCP port that is bound but not listening, so connecting to it is refused, and
/// no other test can start a server on it while this value is kept (a stopped server's port
/// could be handed to a parallel test's server).
public final class ClosedPort: @unchecked Sendable {
    /// The port on 127.0.0.1.
    public let port: Int
    private let fd: Int32
    private let released = Mutex(false)

    /// Binds a fresh socket to 127.0.0.1 with an ephemeral port, without `listen`.
    public init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket: \(String(cString: strerror(errno)))")
        // Not inherited by children (a daemon started next would keep the port bound).
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Int32 in
                guard bind(fd, raw, length) == 0 else { return -1 }
                return getsockname(fd, raw, &length)
            }
        }
        precondition(bound == 0, "bind: \(String(cString: strerror(errno)))")
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closes the socket: the port is free for a server the test starts on it next (a partner
    /// coming back after an outage).
    public func release() {
        let first = released.withLock { released -> Bool in
            defer { released = true }
            return !released
        }
        if first { close(fd) }
    }

    deinit { release() }
}
