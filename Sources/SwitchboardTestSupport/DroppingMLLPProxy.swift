// TESTPLAN T2: a TCP proxy in front of the daemon that loses ACKs.
import MLLP
import NIOCore
import NIOPosix
import Synchronization

/// Forwards MLLP connections from 127.0.0.1 to an upstream port, and drops every `dropEvery`-th
/// answer frame: instead of forwarding it, it closes both sides (the sender sees a reset after
/// its message was stored: the lost-ACK case that makes senders resend).
public final class DroppingMLLPProxy: Sendable {
    /// The port the proxy listens on.
    public let port: Int
    private let channel: any Channel
    private let state: SharedState

    final class SharedState: Sendable {
        let answers = Atomic<Int>(0)
        let dropped = Atomic<Int>(0)
        let dropEvery: Int
        init(dropEvery: Int) { self.dropEvery = dropEvery }

        /// True when this answer is to be dropped.
        func shouldDrop() -> Bool {
            let n = answers.add(1, ordering: .relaxed).newValue
            guard dropEvery > 0, n % dropEvery == 0 else { return false }
            dropped.add(1, ordering: .relaxed)
            return true
        }
    }

    private init(port: Int, channel: any Channel, state: SharedState) {
        self.port = port
        self.channel = channel
        self.state = state
    }

    /// Answers dropped so far.
    public var droppedAnswers: Int { state.dropped.load(ordering: .relaxed) }
    /// Answers seen (forwarded or dropped) so far.
    public var answersSeen: Int { state.answers.load(ordering: .relaxed) }

    /// Starts a proxy to `127.0.0.1:upstreamPort`.
    public static func start(upstreamPort: Int, dropEvery: Int = 3) async throws -> DroppingMLLPProxy {
        let state = SharedState(dropEvery: dropEvery)
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .channelInitializer { upstream in
                        upstream.eventLoop.makeCompletedFuture {
                            let handlers = upstream.pipeline.syncOperations
                            try handlers.addHandler(ByteToMessageHandler(MLLPFrameDecoder()))
                            try handlers.addHandler(AnswerFilter(peer: inbound, state: state))
                        }
                    }
                    .connect(host: "127.0.0.1", port: upstreamPort)
                    .flatMap { upstream in
                        inbound.eventLoop.makeCompletedFuture {
                            try inbound.pipeline.syncOperations.addHandler(RawForwarder(peer: upstream))
                            // The child is registered only after this initializer completes, and
                            // reads start on activation because autoRead is on again. No explicit
                            // read() here: on an unregistered channel it marks a read pending
                            // without registering for readability, and activation then skips its
                            // own read: the connection would never be read.
                            inbound.setOption(.autoRead, value: true).whenComplete { _ in }
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return DroppingMLLPProxy(port: channel.localAddress!.port!, channel: channel, state: state)
    }

    /// Stops accepting.
    public func stop() async {
        try? await channel.close()
    }

    /// Client → upstream: bytes as they come.
    final class RawForwarder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let peer: any Channel
        init(peer: any Channel) { self.peer = peer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) { peer.close(promise: nil) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    /// Upstream → client: whole answer frames, every n-th one dropped with both sides closed.
    final class AnswerFilter: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let peer: any Channel
        let state: SharedState
        init(peer: any Channel, state: SharedState) {
            self.peer = peer
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            if state.shouldDrop() {
                peer.close(promise: nil)
                context.close(promise: nil)
                return
            }
            var out = ByteBuffer()
            out.writeInteger(UInt8(0x0B))
            out.writeImmutableBuffer(frame)
            out.writeBytes([0x1C, 0x0D])
            peer.writeAndFlush(out, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) { peer.close(promise: nil) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
