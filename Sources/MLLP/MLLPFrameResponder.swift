// The seam between the MLLP server (bytes on connections) and what answers frames.
public import NIOCore

/// Who sent a frame.
public struct MLLPConnectionInfo: Sendable {
    /// The listener's name.
    public var listener: String
    /// The peer as `ip:port` (`unknown` if the socket no longer knows).
    public var peer: String
    /// A number unique among this process's connections (for logs).
    public var connectionID: UInt64

    public init(listener: String, peer: String, connectionID: UInt64) {
        self.listener = listener
        self.peer = peer
        self.connectionID = connectionID
    }
}

/// Answers frames. The server calls ``respond(to:connection:reply:)`` on the connection's event
/// loop, once per frame, in arrival order; the answers go back in that order whatever order
/// they complete in (pipelining senders get their ACKs in order).
public protocol MLLPFrameResponder: Sendable {
    /// Handles one frame's payload. Call `reply` exactly once, from any thread, with the answer's
    /// payload, or `nil` to send nothing for this frame.
    func respond(to frame: ByteBuffer, connection: MLLPConnectionInfo, reply: @escaping @Sendable (ByteBuffer?) -> Void)
}
