import NIOCore
import NIOTLS

/// One request on its way to the client handler: the payload to frame, the promise of the
/// response's payload, and how long to wait for it.
struct MLLPClientRequest: Sendable {
    var payload: ByteBuffer
    var response: EventLoopPromise<ByteBuffer>
    var timeout: TimeAmount
}

/// The client's protocol handler: a FIFO of response promises. MLLP answers in order, so each
/// frame read completes the oldest pending request. A timeout, a framing error or the end of
/// the connection fails every pending request and closes the channel.
final class MLLPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = MLLPClientRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var id: UInt64
        var response: EventLoopPromise<ByteBuffer>
        var deadline: Scheduled<Void>?
    }

    private let peer: String
    private let usesTLS: Bool
    private let ready: EventLoopPromise<Void>
    private var pending = CircularBuffer<Pending>()
    private var nextID: UInt64 = 0
    /// Set once the connection is unusable; later requests fail with it at once.
    private var closedError: MLLPClientError?

    /// - Parameter ready: succeeded when requests can flow (TLS: after the handshake).
    init(peer: String, usesTLS: Bool, ready: EventLoopPromise<Void>) {
        self.peer = peer
        self.usesTLS = usesTLS
        self.ready = ready
    }

    func channelActive(context: ChannelHandlerContext) {
        if !usesTLS { ready.succeed() }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { ready.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let closedError {
            request.response.fail(closedError)
            promise?.fail(closedError)
            return
        }
        let id = nextID
        nextID += 1
        let deadline = context.eventLoop.assumeIsolated().scheduleTask(in: request.timeout) {
            self.timedOut(id: id, after: request.timeout, context: context)
        }
        pending.append(Pending(id: id, response: request.response, deadline: deadline))
        context.write(wrapOutboundOut(request.payload), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A frame with nothing pending (a late answer after a timeout cannot happen: the
        // connection is closed then) is dropped.
        guard let first = pending.popFirst() else { return }
        first.deadline?.cancel()
        first.response.succeed(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure: MLLPClientError
        if let framing = error as? MLLPFramingError {
            failure = MLLPClientError(.framing, peer: peer, "bad response framing: \(framing.message)", underlying: framing)
        } else {
            failure = MLLPClientError(.connectionClosed, peer: peer, "connection failed: \(error)", underlying: error)
        }
        failAll(failure, timedOutID: nil)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(MLLPClientError(.connectionClosed, peer: peer, "connection closed by the peer before the response"), timedOutID: nil)
        context.fireChannelInactive()
    }

    private func timedOut(id: UInt64, after timeout: TimeAmount, context: ChannelHandlerContext) {
        guard pending.contains(where: { $0.id == id }) else { return }
        let millis = timeout.nanoseconds / 1_000_000
        failAll(MLLPClientError(.timeout, peer: peer, "no response within \(millis) ms; connection closed"), timedOutID: id)
        context.close(promise: nil)
    }

    /// Fails every pending request (the one that timed out with the timeout, the others as
    /// closed) and remembers the first failure for later requests.
    private func failAll(_ error: MLLPClientError, timedOutID: UInt64?) {
        let closed = error.code == .timeout
            ? MLLPClientError(.connectionClosed, peer: peer, "connection closed after an earlier request timed out")
            : error
        if closedError == nil { closedError = closed }
        ready.fail(error)
        while let next = pending.popFirst() {
            next.deadline?.cancel()
            next.response.fail(next.id == timedOutID ? error : closed)
        }
    }
}
