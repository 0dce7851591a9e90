// One MLLP connection: frames in, answers out in order, deadlines, backpressure, drain.
import Logging
import NIOCore
import NIOSSL

/// Sits after the frame decoder. Hands each frame to the responder, writes the answers back in
/// the order the frames arrived, stops reading while too many frames await answers, enforces
/// the frame deadline (start block to end block) and the idle timeout, and on quiesce finishes
/// the frames in flight before closing.
final class MLLPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A frame's place in the answer order.
    private enum Slot {
        case waiting
        case answered(ByteBuffer?)
    }

    private let responder: any MLLPFrameResponder
    private let info: MLLPConnectionInfo
    private let configuration: MLLPServerConfiguration
    private let metrics: MLLPServerMetrics
    private let mailbox: EventLoopMailbox
    private var logger: Logger

    private var slots = CircularBuffer<Slot>(initialCapacity: 8)
    /// The number of the frame in `slots.first`.
    private var firstSlotNumber: UInt64 = 0
    private var readHeld = false
    private var frameDeadline: Scheduled<Void>?
    private var quiescing = false
    private var active = true
    /// A flush is queued on the loop: answers written before it runs go out in one write.
    private var flushQueued = false

    init(responder: any MLLPFrameResponder, info: MLLPConnectionInfo, configuration: MLLPServerConfiguration,
         metrics: MLLPServerMetrics, mailbox: EventLoopMailbox, logger: Logger) {
        self.responder = responder
        self.mailbox = mailbox
        self.info = info
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.logger[metadataKey: "mllp.peer"] = "\(info.peer)"
        self.logger[metadataKey: "mllp.listener"] = "\(info.listener)"
        self.logger[metadataKey: "mllp.connection"] = "\(info.connectionID)"
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        frameDeadline?.cancel()
        frameDeadline = nil
        let frame = unwrapInboundIn(data)
        let number = firstSlotNumber + UInt64(slots.count)
        slots.append(.waiting)
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        let mailbox = self.mailbox
        responder.respond(to: frame, connection: info) { reply in
            if loop.inEventLoop {
                bound.value.handler.answer(number, with: reply, context: bound.value.context)
            } else {
                mailbox.post { bound.value.handler.answer(number, with: reply, context: bound.value.context) }
            }
        }
    }

    /// Records the answer to frame `number` and writes every answer now due, in order.
    private func answer(_ number: UInt64, with reply: ByteBuffer?, context: ChannelHandlerContext) {
        let index = Int(number &- firstSlotNumber)
        guard active, index >= 0, index < slots.count else { return }
        slots[slots.index(slots.startIndex, offsetBy: index)] = .answered(reply)
        var wrote = false
        while let first = slots.first, case .answered(let due) = first {
            slots.removeFirst()
            firstSlotNumber &+= 1
            if let due {
                context.write(wrapOutboundOut(due), promise: nil)
                wrote = true
            }
        }
        if wrote, !flushQueued {
            // Coalesce: answers completed together (one group commit) leave in one write.
            flushQueued = true
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            context.eventLoop.assumeIsolated().execute {
                bound.value.handler.flushQueued = false
                bound.value.context.flush()
            }
        }
        if quiescing {
            if slots.isEmpty {
                context.flush()  // the queued flush would run after the close: too late
                context.close(promise: nil)
            }
        } else if readHeld, slots.count < configuration.maxPendingFramesPerConnection {
            readHeld = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        // Backpressure: don't read more frames while too many await answers; after quiesce
        // read nothing new.
        if quiescing { return }
        if slots.count >= configuration.maxPendingFramesPerConnection {
            readHeld = true
            return
        }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is MLLPFrameStarted:
            guard frameDeadline == nil else { return }
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            frameDeadline = context.eventLoop.scheduleTask(in: .seconds(configuration.frameTimeoutSeconds)) {
                bound.value.handler.frameDeadlinePassed(context: bound.value.context)
            }
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            if slots.isEmpty, frameDeadline == nil {
                logger.info("mllp connection idle: closing", metadata: ["mllp.idle_seconds": "\(configuration.idleTimeoutSeconds)"])
                metrics.closed(.idle)
                context.close(promise: nil)
            }
        case is ChannelShouldQuiesceEvent:
            quiescing = true
            if slots.isEmpty { context.close(promise: nil) }
        case let channelEvent as ChannelEvent where channelEvent == .inputClosed:
            // The sender half-closed (sent its last frame and shut down writing): answer what
            // was read, then close. Closing at once would drop ACKs of stored messages.
            quiescing = true
            if slots.isEmpty { context.close(promise: nil) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func frameDeadlinePassed(context: ChannelHandlerContext) {
        frameDeadline = nil
        guard active else { return }
        logger.warning("mllp frame not complete in time: closing",
                       metadata: ["mllp.frame_timeout_seconds": "\(configuration.frameTimeoutSeconds)"])
        metrics.closed(.frameTimeout)
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let framing = error as? MLLPFramingError {
            logger.warning("mllp framing error: closing", metadata: ["error": "\(framing)"])
            metrics.closed(.framing)
        } else if error is NIOSSLError || error is BoringSSLError {
            logger.warning("mllp tls error: closing", metadata: ["error": "\(error)"])
            metrics.closed(.tls)
        } else {
            logger.info("mllp connection error: closing", metadata: ["error": "\(error)"])
            metrics.closed(.error)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        frameDeadline?.cancel()
        frameDeadline = nil
        if !slots.isEmpty {
            logger.info("mllp connection closed with frames unanswered", metadata: ["mllp.unanswered": "\(slots.count)"])
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        active = false
        frameDeadline?.cancel()
    }
}
