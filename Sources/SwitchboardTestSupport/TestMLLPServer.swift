public import MLLP
public import NIOCore
import NIOPosix
public import NIOSSL
import Synchronization

/// A small MLLP server for client and load-generator tests, on 127.0.0.1 with a free port. It
/// is not the daemon's server: it frames with `MLLPFrameDecoder`/`MLLPFrameEncoder` and answers
/// each frame as `respond` says, in order.
public final class TestMLLPServer: Sendable {
    /// What to do with one received frame.
    public enum Reply: Sendable {
        /// Send this payload back as a frame.
        case respond(ByteBuffer)
        /// Send nothing (the client will time out).
        case silent
        /// Close the connection without answering.
        case close
        /// Send raw bytes (no framing added), for framing-error tests.
        case raw(ByteBuffer)
    }

    /// The port it listens on (127.0.0.1).
    public let port: Int
    private let channel: any Channel
    private let counters: Counters

    final class Counters: Sendable {
        let frames = Atomic<Int>(0)
        let connections = Atomic<Int>(0)
    }

    private init(port: Int, channel: any Channel, counters: Counters) {
        self.port = port
        self.channel = channel
        self.counters = counters
    }

    /// Frames received so far, over all connections.
    public var framesReceived: Int { counters.frames.load(ordering: .relaxed) }
    /// Connections accepted so far.
    public var connectionsAccepted: Int { counters.connections.load(ordering: .relaxed) }

    /// `ACK:` followed by the payload.
    public static let echoACK: @Sendable (ByteBuffer) -> Reply = { payload in
        var out = ByteBuffer(string: "ACK:")
        out.writeImmutableBuffer(payload)
        return .respond(out)
    }

    /// Starts listening.
    /// - Parameters:
    ///   - tls: when given, connections must complete a TLS handshake with this context first.
    ///   - respond: called on the event loop for each frame, in order per connection.
    public static func start(tls: NIOSSLContext? = nil, framing: MLLPFramingConfiguration = .default,
                             respond: @escaping @Sendable (ByteBuffer) -> Reply = echoACK) async throws -> TestMLLPServer {
        let counters = Counters()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { child in
                counters.connections.add(1, ordering: .relaxed)
                return child.eventLoop.makeCompletedFuture {
                    let handlers = child.pipeline.syncOperations
                    if let tls { try handlers.addHandler(NIOSSLServerHandler(context: tls)) }
                    try handlers.addHandler(ByteToMessageHandler(MLLPFrameDecoder(configuration: framing)))
                    try handlers.addHandler(MessageToByteHandler(MLLPFrameEncoder()))
                    try handlers.addHandler(Responder(respond: respond, counters: counters))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestMLLPServer(port: channel.localAddress!.port!, channel: channel, counters: counters)
    }

    /// Stops listening (open connections are left to their clients).
    public func stop() async {
        try? await channel.close()
    }

    final class Responder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let respond: @Sendable (ByteBuffer) -> Reply
        let counters: Counters

        init(respond: @escaping @Sendable (ByteBuffer) -> Reply, counters: Counters) {
            self.respond = respond
            self.counters = counters
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            counters.frames.add(1, ordering: .relaxed)
            switch respond(unwrapInboundIn(data)) {
            case .respond(let payload): context.write(wrapOutboundOut(payload), promise: nil)
            case .silent: break
            case .close: context.close(promise: nil)
            case .raw(let bytes):
                // Below the encoder: straight to the socket (or TLS) handler.
                if let encoder = try? context.pipeline.syncOperations.context(handlerType: MessageToByteHandler<MLLPFrameEncoder>.self) {
                    encoder.write(NIOAny(bytes), promise: nil)
                }
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.flush()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
