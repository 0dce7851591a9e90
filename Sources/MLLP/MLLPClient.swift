public import NIOCore
public import NIOPosix
import NIOSSL

/// An MLLP sender: one connection, frames out, response frames back in order.
///
/// ```swift
/// let client = try await MLLPClient.connect(host: "127.0.0.1", port: 2575)
/// let ack = try await client.send(messageBytes, timeout: .seconds(10))
/// try await client.close()
/// ```
///
/// Several ``send(_:timeout:)`` calls may be in flight at once (pipelining): they are written in
/// the order they reach the event loop and answered in that order. When a response does not
/// arrive in time, or the connection fails, the pending sends fail and the connection is
/// closed; connect again to go on (responses could no longer be matched to requests).
public final class MLLPClient: Sendable {
    /// The host given to ``connect(host:port:tls:framing:connectTimeout:eventLoopGroup:)``.
    public let host: String
    /// The port given to ``connect(host:port:tls:framing:connectTimeout:eventLoopGroup:)``.
    public let port: Int
    private let channel: any Channel

    private init(host: String, port: Int, channel: any Channel) {
        self.host = host
        self.port = port
        self.channel = channel
    }

    /// `host:port`, as error messages name the peer.
    public var peer: String { "\(host):\(port)" }

    /// Connects (and, with `tls`, completes the TLS handshake).
    /// - Parameters:
    ///   - tls: TLS settings; `nil` for plain TCP.
    ///   - framing: limits applied to the responses.
    ///   - connectTimeout: how long the TCP connect may take.
    ///   - eventLoopGroup: where the connection runs (default: NIO's shared group).
    /// - Throws: ``MLLPClientError`` with code `connectFailed`.
    public static func connect(
        host: String, port: Int, tls: MLLPClientTLSConfiguration? = nil,
        framing: MLLPFramingConfiguration = .default, connectTimeout: Duration = .seconds(10),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(MLLPClientError) -> MLLPClient {
        let peer = "\(host):\(port)"
        let sslContext: NIOSSLContext?
        do {
            sslContext = try tls?.makeContext()
        } catch {
            throw MLLPClientError(.connectFailed, peer: peer, "TLS setup: \(error.message)", underlying: error)
        }
        let serverHostname = tls?.serverHostname
        let loop = eventLoopGroup.next()
        let ready = loop.makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    if let sslContext {
                        try handlers.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try handlers.addHandler(ByteToMessageHandler(MLLPFrameDecoder(configuration: framing)))
                    try handlers.addHandler(MessageToByteHandler(MLLPFrameEncoder()))
                    try handlers.addHandler(MLLPClientHandler(peer: peer, usesTLS: sslContext != nil, ready: ready))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            ready.fail(error)
            throw MLLPClientError(.connectFailed, peer: peer, "cannot connect: \(error)", underlying: error)
        }
        // The connect timeout covers TCP; the TLS handshake gets the same again (a partner that
        // accepts and then says nothing must not hold the caller forever).
        let handshakeDeadline = channel.eventLoop.scheduleTask(in: TimeAmount(connectTimeout)) {
            ready.fail(MLLPClientError(.connectFailed, peer: peer, "no TLS handshake within \(connectTimeout)"))
            channel.close(promise: nil)
        }
        ready.futureResult.whenComplete { _ in handshakeDeadline.cancel() }
        do {
            try await ready.futureResult.get()
        } catch {
            channel.close(promise: nil)
            let reason = (error as? MLLPClientError)?.message ?? "\(error)"
            throw MLLPClientError(.connectFailed, peer: peer, "TLS handshake failed: \(reason)", underlying: error)
        }
        return MLLPClient(host: host, port: port, channel: channel)
    }

    /// Sends one frame and returns the payload of the response frame.
    /// - Parameter timeout: how long to wait for the response once the frame is written.
    /// - Throws: ``MLLPClientError``: `timeout` (the connection is then closed),
    ///   `connectionClosed`, `framing`.
    public func send(_ payload: ByteBuffer, timeout: Duration) async throws(MLLPClientError) -> ByteBuffer {
        let response = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let request = MLLPClientRequest(payload: payload, response: response, timeout: TimeAmount(timeout))
        let peer = self.peer
        channel.writeAndFlush(request).whenFailure { error in
            response.fail(MLLPClientError(.connectionClosed, peer: peer, "cannot write: \(error)", underlying: error))
        }
        do {
            return try await response.futureResult.get()
        } catch let error as MLLPClientError {
            throw error
        } catch {
            throw MLLPClientError(.connectionClosed, peer: peer, "\(error)", underlying: error)
        }
    }

    /// Writes frames now, in order, with one hop to the event loop and one flush, and returns
    /// their future responses (in the same order) without waiting: frames submitted one call
    /// after another from one task go out in that order, so a caller can keep a window of them
    /// in flight (pipelining) and read the answers in order.
    public func submit(contentsOf payloads: [[UInt8]], timeout: Duration) -> [EventLoopFuture<ByteBuffer>] {
        let loop = channel.eventLoop
        let allocator = channel.allocator
        let requests = payloads.map { payload in
            MLLPClientRequest(payload: allocator.buffer(bytes: payload), response: loop.makePromise(of: ByteBuffer.self),
                              timeout: TimeAmount(timeout))
        }
        let (channel, peer) = (self.channel, self.peer)
        loop.execute {
            for request in requests {
                channel.write(request).whenFailure { error in
                    request.response.fail(MLLPClientError(.connectionClosed, peer: peer, "cannot write: \(error)", underlying: error))
                }
            }
            channel.flush()
        }
        return requests.map(\.response.futureResult)
    }

    /// Sends the bytes as one frame; see ``send(_:timeout:)-(ByteBuffer,_)``.
    public func send(_ payload: [UInt8], timeout: Duration) async throws(MLLPClientError) -> ByteBuffer {
        try await send(channel.allocator.buffer(bytes: payload), timeout: timeout)
    }

    /// Whether the connection is still open (false once either side closed it).
    public var isActive: Bool { channel.isActive }

    /// Closes the connection; pending sends fail with `connectionClosed`. Closing twice is fine.
    public func close() async throws {
        do {
            try await channel.close()
        } catch ChannelError.alreadyClosed {
            return
        }
    }
}
