/// A framing violation that ends an MLLP connection (DESIGN §3: the connection is closed, logged
/// and counted; no ACK is possible because no frame was delimited).
public struct MLLPFramingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// A frame's payload grew past ``MLLPFramingConfiguration/maxFrameBytes``.
        case frameTooLarge
        /// More than ``MLLPFramingConfiguration/maxJunkBytes`` bytes arrived outside frames.
        case tooMuchJunk
        /// A byte arrived outside a frame while junk is not tolerated.
        case junkNotAllowed
        /// `0x1C` was followed by something other than `0x0D` while that is not tolerated.
        case endBlockWithoutCR
        /// The connection opened with a TLS record (`0x16 0x03 …`): TLS spoken to a plain port.
        case tlsOnPlainPort
    }

    /// What went wrong.
    public var code: Code
    /// A sentence for logs and operators (never payload bytes: they may hold PHI).
    public var message: String
    /// Payload bytes of the frame in progress when the error was detected (0 outside a frame).
    public var frameBytes: Int
    /// Bytes seen outside frames since the last frame (including the offending ones).
    public var junkBytes: Int
    /// The limit that was exceeded (0 when the error is not about a limit).
    public var limit: Int

    /// Creates an error.
    public init(_ code: Code, _ message: String, frameBytes: Int = 0, junkBytes: Int = 0, limit: Int = 0) {
        self.code = code
        self.message = message
        self.frameBytes = frameBytes
        self.junkBytes = junkBytes
        self.limit = limit
    }

    /// `MLLP framing: <code>: <message>`.
    public var description: String { "MLLP framing: \(code.rawValue): \(message)" }
}
