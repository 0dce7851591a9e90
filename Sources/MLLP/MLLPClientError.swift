/// Why an MLLP exchange failed; the message names the peer (`host:port`).
public struct MLLPClientError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// TCP connect, TLS setup or the TLS handshake failed.
        case connectFailed
        /// No response within the timeout. The connection is closed: once one response is
        /// missing, later ones can no longer be matched to their requests.
        case timeout
        /// The connection closed (or failed) before the response arrived, or was already closed.
        case connectionClosed
        /// The peer's bytes broke MLLP framing (see ``MLLPFramingError``); the connection is closed.
        case framing
    }

    /// What went wrong.
    public var code: Code
    /// A sentence naming the peer.
    public var message: String
    /// The peer as `host:port`.
    public var peer: String
    /// The underlying error (a NIO, NIOSSL, ``MLLPTLSError`` or ``MLLPFramingError``), if any.
    public var underlying: (any Error)?

    /// Creates an error.
    public init(_ code: Code, peer: String, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.peer = peer
        self.message = message
        self.underlying = underlying
    }

    /// `MLLP <peer>: <code>: <message>`.
    public var description: String { "MLLP \(peer): \(code.rawValue): \(message)" }
}
