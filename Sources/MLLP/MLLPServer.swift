// The MLLP listener: accepts connections within the caps and serves each with the framing
// pipeline and a connection handler. A ServiceLifecycle `Service`.
public import Logging
public import NIOCore
import NIOPosix
public import NIOSSL
public import ServiceLifecycle
import Synchronization

/// An MLLP listener.
///
/// ```swift
/// let server = MLLPServer(configuration: .init(port: 2575), responder: pipeline, eventLoopGroup: group, logger: logger)
/// let group = ServiceGroup(services: [server], logger: logger)   // run() binds and serves
/// ```
///
/// On graceful shutdown it stops accepting, lets every connection finish the frames it has
/// read (answers go out), closes them, and returns; connections still busy after
/// ``MLLPServerConfiguration/drainTimeoutSeconds`` are closed.
public final class MLLPServer: Service, Sendable, CustomStringConvertible {
    /// `mllp listener mllp-tls 0.0.0.0:2576` (ServiceLifecycle logs services by description).
    public var description: String { "mllp listener \(configuration.name) \(configuration.host):\(configuration.port)" }

    public let configuration: MLLPServerConfiguration
    private let responder: any MLLPFrameResponder
    private let group: any EventLoopGroup
    /// The TLS context new connections use; replaced on reload (open connections keep theirs).
    private let tlsContext: Mutex<NIOSSLContext?>
    /// True for a TLS listener (fixed for its lifetime: plaintext never appears on it).
    public let isTLS: Bool
    private let logger: Logger
    private let limiter: ConnectionLimiter
    private let metrics: MLLPServerMetrics
    private let framingMetrics: MLLPFramingMetrics
    private let bound: EventLoopPromise<SocketAddress>
    private let connections = Mutex<[UInt64: any Channel]>([:])
    private let nextConnectionID = Atomic<UInt64>(0)
    private let refusalLog = RefusalLogLimiter()
    private let mailboxes: EventLoopMailboxes

    /// - Parameters:
    ///   - tlsContext: when set, every connection must complete a TLS handshake first (no
    ///     plaintext on this port).
    public init(
        configuration: MLLPServerConfiguration, responder: any MLLPFrameResponder, eventLoopGroup: any EventLoopGroup,
        tlsContext: NIOSSLContext? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.responder = responder
        self.group = eventLoopGroup
        self.tlsContext = Mutex(tlsContext)
        self.isTLS = tlsContext != nil
        self.logger = logger
        self.limiter = ConnectionLimiter(maxTotal: configuration.maxConnections, maxPerAddress: configuration.maxConnectionsPerAddress)
        self.metrics = MLLPServerMetrics(listener: configuration.name)
        self.framingMetrics = MLLPFramingMetrics()
        self.mailboxes = EventLoopMailboxes(group: eventLoopGroup)
        self.bound = eventLoopGroup.any().makePromise(of: SocketAddress.self)
    }

    /// The address the listener is bound to, once it is (waits for ``run()`` to bind; throws if
    /// binding failed).
    public func localAddress() async throws -> SocketAddress {
        try await bound.futureResult.get()
    }

    /// Connections open now.
    public var openConnections: Int { limiter.open }

    /// Gives connections accepted from now on a new TLS context (e.g. renewed certificates
    /// read on SIGHUP). Connections already open keep the context they were accepted with.
    /// - Throws: ``MLLPServerError`` on a plain listener: TLS cannot be switched on at run time.
    public func replaceTLSContext(_ context: NIOSSLContext) throws(MLLPServerError) {
        guard isTLS else { throw MLLPServerError(message: "\(configuration.name) is not a TLS listener") }
        tlsContext.withLock { $0 = context }
    }

    /// Binds and serves until graceful shutdown or cancellation, then drains.
    public func run() async throws {
        let channel: any Channel
        do {
            channel = try await makeBootstrap().bind(host: configuration.host, port: configuration.port).get()
        } catch {
            bound.fail(error)
            throw MLLPServerError(
                message: "cannot listen on \(configuration.host):\(configuration.port) (\(configuration.name)): \(error)")
        }
        let address = channel.localAddress!
        bound.succeed(address)
        logger.notice("mllp listening", metadata: [
            "mllp.listener": "\(configuration.name)", "mllp.address": "\(address.ipAddress ?? configuration.host):\(address.port ?? 0)",
            "mllp.tls": "\(isTLS)",
        ])
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                channel.close(promise: nil)
            }
        } onCancel: {
            channel.close(promise: nil)
        }
        await drain()
    }

    /// Asks every connection to finish what it has read, then waits (bounded) for them to close.
    private func drain() async {
        let open = connections.withLock { Array($0.values) }
        guard !open.isEmpty else { return }
        logger.info("mllp draining", metadata: ["mllp.listener": "\(configuration.name)", "mllp.connections": "\(open.count)"])
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let deadline = ContinuousClock.now + .seconds(configuration.drainTimeoutSeconds)
        for channel in open {
            let remaining = deadline - ContinuousClock.now
            if remaining > .zero {
                let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(remaining.components.seconds) * 1_000_000_000
                    + remaining.components.attoseconds / 1_000_000_000)) { channel.close(promise: nil) }
                try? await channel.closeFuture.get()
                timer.cancel()
            } else {
                channel.close(promise: nil)
                try? await channel.closeFuture.get()
            }
        }
    }

    private func makeBootstrap() -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [self] channel in
                self.initialize(channel)
            }
    }

    private func initialize(_ channel: any Channel) -> EventLoopFuture<Void> {
        let address = channel.remoteAddress
        let host = address?.ipAddress ?? "unknown"
        let peer = "\(host):\(address?.port ?? 0)"
        if let refusal = limiter.admit(host) {
            metrics.refusedConnection(refusal)
            // A flood must not turn into a flood of log lines: one line per second at most,
            // with the number of refusals it stands for.
            if let count = refusalLog.record(nowSeconds: ContinuousClock.now) {
                logger.warning("mllp connection refused", metadata: [
                    "mllp.listener": "\(configuration.name)", "mllp.peer": "\(peer)", "reason": "\(refusal.rawValue)",
                    "mllp.refused_since_last_line": "\(count)",
                ])
            }
            // A failed initializer makes the bootstrap close the socket at once.
            return channel.eventLoop.makeFailedFuture(MLLPServerError(message: "connection refused: \(refusal.rawValue)"))
        }
        metrics.acceptedConnection()
        metrics.openConnections(limiter.open)
        let id = nextConnectionID.add(1, ordering: .relaxed).newValue
        connections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            limiter.release(host)
            metrics.openConnections(limiter.open)
            connections.withLock { _ = $0.removeValue(forKey: id) }
            logger.debug("mllp connection closed", metadata: ["mllp.peer": "\(peer)", "mllp.connection": "\(id)"])
        }
        logger.debug("mllp connection opened", metadata: ["mllp.peer": "\(peer)", "mllp.connection": "\(id)"])
        let info = MLLPConnectionInfo(listener: configuration.name, peer: peer, connectionID: id)
        let tlsContext = isTLS ? self.tlsContext.withLock { $0 } : nil
        return channel.eventLoop.makeCompletedFuture {
            let handlers = channel.pipeline.syncOperations
            if let tlsContext {
                try handlers.addHandler(NIOSSLServerHandler(context: tlsContext))
            }
            try handlers.addHandler(ByteToMessageHandler(MLLPFrameDecoder(configuration: configuration.framing, metrics: framingMetrics)))
            try handlers.addHandler(MessageToByteHandler(MLLPFrameEncoder()))
            try handlers.addHandler(IdleStateHandler(readTimeout: .seconds(configuration.idleTimeoutSeconds)))
            try handlers.addHandler(MLLPConnectionHandler(
                responder: responder, info: info, configuration: configuration, metrics: metrics,
                mailbox: mailboxes.mailbox(for: channel.eventLoop), logger: logger))
        }
    }
}

/// Lets one "connection refused" line per second through, counting the refusals in between.
final class RefusalLogLimiter: Sendable {
    private let state = Mutex<(second: Int64, count: Int)>((-1, 0))

    /// Records a refusal; returns the number of refusals the line to log now stands for, or
    /// `nil` when this second already had its line.
    func record(nowSeconds now: ContinuousClock.Instant) -> Int? {
        let second = ContinuousClock.Instant.zeroReference.duration(to: now).components.seconds
        return state.withLock { state in
            state.count += 1
            guard second != state.second else { return nil }
            state.second = second
            defer { state.count = 0 }
            return state.count
        }
    }
}

extension ContinuousClock.Instant {
    /// A fixed instant to measure whole seconds from.
    static let zeroReference = ContinuousClock.now
}

/// The listener could not start.
public struct MLLPServerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
