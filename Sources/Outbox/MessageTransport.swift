// What the dispatcher sends through: one connection to one destination.

/// A connection that sends a frame and returns the response frame's payload. The MLLP client
/// implements it in the daemon; tests use scripted transports.
public protocol MessageTransport: Sendable {
    /// Sends `payload` as one frame and waits up to `timeoutMilliseconds` for the answer.
    /// Throws when there is none (timeout, connection closed or refused); the connection is then
    /// unusable and the dispatcher opens a new one.
    func send(_ payload: [UInt8], timeoutMilliseconds: Int64) async throws -> [UInt8]
    /// Closes the connection (after a timeout, so a late answer cannot be taken for the next).
    func close() async
    /// False once the connection is closed (the partner or something between closed it while
    /// it was idle): the dispatcher then connects again instead of using up an attempt.
    var isOpen: Bool { get }
}
