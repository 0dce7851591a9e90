// A small blocking MLLP client over plain sockets, for sending exact (and hostile) bytes to a
// daemon on the loopback interface.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection to `127.0.0.1:port` (or another loopback address).
///
/// ```swift
/// let connection = try LoopbackMLLPConnection(port: daemon.port)
/// try connection.sendFrame(message)
/// let ack = try connection.readFrame(timeout: 5)      // nil on timeout
/// try connection.sendRaw([0x0B] + junk)               // hostile delivery, bytes as they are
/// #expect(connection.isClosedByPeer(within: 10))
/// ```
///
/// Sends never raise SIGPIPE (`MSG_NOSIGNAL`); the socket is close-on-exec so spawned daemons
/// never inherit it. Not thread-safe, except ``send(fd:_:)`` which a writer thread may use on
/// ``fileDescriptor`` while this thread reads.
public final class LoopbackMLLPConnection {
    /// A socket call failed.
    public struct SocketError: Error, CustomStringConvertible, Equatable {
        public var operation: String
        public var code: Int32
        public var description: String { "\(operation): \(String(cString: strerror(code))) (errno \(code))" }
        /// The peer closed or reset the connection.
        public var isClosedByPeer: Bool { code == EPIPE || code == ECONNRESET }
    }

    /// What ``nextEvent(timeout:)`` saw.
    public enum Event: Equatable {
        /// A complete frame's payload (framing bytes removed).
        case frame([UInt8])
        /// Nothing complete arrived in time.
        case timeout
        /// The peer closed (FIN) or reset the connection; no further frame can arrive.
        case closed
    }

    /// The socket.
    public let fileDescriptor: Int32
    private var buffer: [UInt8] = []
    /// Where unread bytes start in `buffer`.
    private var head = 0
    private var peerClosed = false
    private var isOpen = true

    /// Connects to `host:port`, optionally from `bindAddress` (e.g. `127.0.0.2`, to appear as
    /// another client), with `timeout` seconds for connect and every send (`SO_SNDTIMEO`) and a
    /// default receive timeout (`SO_RCVTIMEO`). `sendBufferBytes` shrinks `SO_SNDBUF` (so
    /// that "bytes sent before the close" is close to what the peer read).
    public init(port: Int, host: String = "127.0.0.1", bindAddress: String? = nil, timeout: Double = 5,
                sendBufferBytes: Int? = nil) throws(SocketError) {
        fileDescriptor = try Self.connectSocket(port: port, host: host, bindAddress: bindAddress, timeout: timeout,
                                                sendBufferBytes: sendBufferBytes)
    }

    /// A connected TCP socket (close-on-exec, `TCP_NODELAY`, send/receive timeouts), for tests
    /// that handle many raw descriptors (floods). The caller closes it.
    public static func connectSocket(port: Int, host: String = "127.0.0.1", bindAddress: String? = nil, timeout: Double = 5,
                                     sendBufferBytes: Int? = nil) throws(SocketError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(operation: "socket", code: errno) }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if var size = sendBufferBytes.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let bindAddress {
            var local = address(bindAddress, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                let code = errno
                Glibc.close(fd)
                throw SocketError(operation: "bind \(bindAddress)", code: code)
            }
        }
        var remote = address(host, port: port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError(operation: "connect \(host):\(port)", code: code)
        }
        return fd
    }

    /// Whether the peer has closed or reset `fd`, looking without blocking (`MSG_PEEK`).
    public static func peerHasClosed(fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN) | pollReadHangUp, revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    }

    deinit { close() }

    /// Closes the socket (idempotent).
    public func close() {
        guard isOpen else { return }
        isOpen = false
        Glibc.close(fileDescriptor)
    }

    /// Ends our side of the stream (`shutdown(SHUT_WR)`): the peer sees end of input but can
    /// still answer.
    public func shutdownWrite() {
        shutdown(fileDescriptor, Int32(SHUT_WR))
    }

    // MARK: - Sending

    /// Sends `0x0B payload 0x1C 0x0D`.
    public func sendFrame(_ payload: [UInt8]) throws(SocketError) {
        try sendRaw(Self.frame(payload))
    }

    /// Sends `bytes` exactly as they are.
    public func sendRaw(_ bytes: [UInt8]) throws(SocketError) {
        let (_, error) = Self.send(fd: fileDescriptor, bytes)
        if let error { throw error }
    }

    /// Sends as much of `bytes` as the peer takes: how many bytes went out, and the error that
    /// stopped it (if any).
    public func sendRawCounting(_ bytes: [UInt8]) -> (sent: Int, error: SocketError?) {
        Self.send(fd: fileDescriptor, bytes)
    }

    /// Sends `bytes` on `fd` (blocking, `MSG_NOSIGNAL`): bytes sent and the error that stopped it.
    public static func send(fd: Int32, _ bytes: [UInt8]) -> (sent: Int, error: SocketError?) {
        bytes.withUnsafeBytes { raw -> (Int, SocketError?) in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n > 0 { offset += n; continue }
                if n < 0 && errno == EINTR { continue }
                return (offset, SocketError(operation: "send", code: n < 0 ? errno : EPIPE))
            }
            return (offset, nil)
        }
    }

    /// `0x0B payload 0x1C 0x0D`.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        [0x0B] + payload + [0x1C, 0x0D]
    }

    // MARK: - Receiving

    /// The next frame's payload; `nil` when none is complete within `timeout` seconds. Throws
    /// (``SocketError/isClosedByPeer``) when the peer closed before a complete frame.
    public func readFrame(timeout: Double) throws(SocketError) -> [UInt8]? {
        switch nextEvent(timeout: timeout) {
        case .frame(let payload): return payload
        case .timeout: return nil
        case .closed: throw SocketError(operation: "recv", code: ECONNRESET)
        }
    }

    /// The next frame, a timeout, or the end of the connection. Bytes outside frames are
    /// skipped.
    public func nextEvent(timeout: Double) -> Event {
        let deadline = monotonicSeconds() + timeout
        while true {
            if let payload = takeFrame() { return .frame(payload) }
            if peerClosed { return .closed }
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 { return .timeout }
            receive(waiting: remaining)
        }
    }

    /// Whether the peer closes (or resets) the connection within `within` seconds. Frames that
    /// arrive meanwhile are kept for ``nextEvent(timeout:)``.
    public func isClosedByPeer(within: Double) -> Bool {
        let deadline = monotonicSeconds() + within
        while !peerClosed {
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 { return false }
            receive(waiting: remaining)
        }
        return true
    }

    /// Bytes received but not yet returned as a frame.
    public var pendingBytes: Int { buffer.count - head }

    /// Waits up to `waiting` seconds for input and appends what arrives; notes a close.
    private func receive(waiting: Double) {
        guard isOpen, !peerClosed else { return }
        var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN) | pollReadHangUp, revents: 0)
        let ready = poll(&descriptor, 1, Int32(min(max(waiting * 1000, 1), 60_000)))
        if ready < 0 { if errno != EINTR { peerClosed = true }; return }
        guard ready > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = chunk.withUnsafeMutableBytes { recv(fileDescriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n > 0 {
            buffer += chunk[0..<n]
        } else if n == 0 {
            peerClosed = true
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            peerClosed = true  // ECONNRESET and friends
        }
    }

    /// Removes and returns the first complete frame in the buffer (junk before `0x0B` dropped).
    private func takeFrame() -> [UInt8]? {
        defer {
            // Compact now and then rather than on every frame.
            if head > 65_536 || head == buffer.count {
                buffer.removeSubrange(0..<head)
                head = 0
            }
        }
        guard let start = buffer[head...].firstIndex(of: 0x0B) else {
            head = buffer.count
            return nil
        }
        head = start
        var i = start + 1
        while i + 1 < buffer.count {
            if buffer[i] == 0x1C && buffer[i + 1] == 0x0D {
                let payload = Array(buffer[(start + 1)..<i])
                head = i + 2
                return payload
            }
            i += 1
        }
        return nil
    }

    private static func address(_ host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }
}

/// POLLRDHUP (Linux), which Glibc's module map does not export.
private let pollReadHangUp: Int16 = 0x2000
