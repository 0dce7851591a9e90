/// Fired by ``MLLPFrameDecoder`` (`fireUserInboundEventTriggered`) when a `0x0B` starts a frame,
/// so a server can arm the frame deadline (TESTPLAN: a frame must complete within 30 s of its
/// `0x0B`). The frame itself follows as a `channelRead` when its end block arrives.
///
/// A second `0x0B` inside a frame restarts the frame and fires this event again.
public struct MLLPFrameStarted: Sendable, Hashable {
    /// Creates the event.
    public init() {}
}
