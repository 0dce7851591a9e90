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
        var deadline: NIODeadline
        var timeout: TimeAmount
    }

    private let peer: String
    private let usesTLS: Bool
    private let ready: EventLoopPromise<Void>
    private var pending = CircularBuffer<Pending>()
    private var nextID: UInt64 = 0
    /// Set once the connection is unusable; later requests fail with it at once.
    private var closedError: MLLPClientError?
    /// One timer for all pending requests, due at the earliest deadline it was armed for: a
    /// request answered in time costs no timer of its own (pipelined clients send thousands per
    /// second). When it fires, requests past their deadline fail; otherwise it is re-armed.
    private var timer: (deadline: NIODeadline, task: Scheduled<Void>)?

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
        let deadline = NIODeadline.now() + request.timeout
        pending.append(Pending(id: nextID, response: request.response, deadline: deadline, timeout: request.timeout))
        nextID += 1
        arm(for: deadline, context: context)
        context.write(wrapOutboundOut(request.payload), promise: promise)
    }

    private func arm(for deadline: NIODeadline, context: ChannelHandlerContext) {
        if let timer, timer.deadline <= deadline { return }
        timer?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.timerFired(context: context) }
        timer = (deadline, task)
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        let now = NIODeadline.now()
        if let expired = pending.first(where: { $0.deadline <= now }) {
            let millis = expired.timeout.nanoseconds / 1_000_000
            failAll(MLLPClientError(.timeout, peer: peer, "no response within \(millis) ms; connection closed"), timedOutID: expired.id)
            context.close(promise: nil)
        } else if let next = pending.lazy.map(\.deadline).min() {
            arm(for: next, context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A frame with nothing pending (a late answer after a timeout cannot happen: the
        // connection is closed then) is dropped.
        guard let first = pending.popFirst() else { return }
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

    /// Fails every pending request (the one that timed out with the timeout, the others as
    /// closed) and remembers the first failure for later requests.
    private func failAll(_ error: MLLPClientError, timedOutID: UInt64?) {
        let closed = error.code == .timeout
            ? MLLPClientError(.connectionClosed, peer: peer, "connection closed after an earlier request timed out")
            : error
        if closedError == nil { closedError = closed }
        ready.fail(error)
        timer?.task.cancel()
        timer = nil
        while let next = pending.popFirst() {
            next.response.fail(next.id == timedOutID ? error : closed)
        }
    }
}
