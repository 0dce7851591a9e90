import MLLP
import NIOCore
import NIOPosix

/// One load-generating connection, confined to one event loop: keeps up to `window` frames in
/// flight, checks each ACK against the oldest unanswered message (MLLP answers in order),
/// records latencies, and on a timeout or lost connection either resends the unanswered
/// messages on a new connection or gives up on them.
final class LoadConnection {
    private struct InFlight {
        var sequence: Int
        var firstSent: UInt64
        var lastSent: UInt64
    }

    private let loop: any EventLoop
    private let configuration: LoadConfiguration
    private let template: LoadMessageTemplate
    private let total: Int
    private let timeoutNanos: UInt64
    private let finished: EventLoopPromise<LoadConnectionResult>

    private var result = LoadConnectionResult()
    private var nextSequence = 1
    private var inFlight = CircularBuffer<InFlight>()
    private var handler: LoadChannelHandler?
    private var generation = 0
    private var everConnected = false
    private var failedConnects = 0
    private var done = false
    /// Paced sending (`ratePerSecond`): nanoseconds between this connection's messages, and
    /// when the next one is due.
    private let intervalNanos: UInt64?
    private var nextDue: UInt64 = 0
    private var pacingTimerArmed = false

    init(loop: any EventLoop, configuration: LoadConfiguration, index: Int, finished: EventLoopPromise<LoadConnectionResult>) {
        self.loop = loop
        self.configuration = configuration
        self.template = LoadMessageTemplate(runID: configuration.runID, connection: index + 1, size: configuration.size)
        self.total = configuration.share(of: index)
        self.timeoutNanos = UInt64(TimeAmount(configuration.ackTimeout).nanoseconds)
        self.finished = finished
        result.latencies.reserveCapacity(total)
        if let rate = configuration.ratePerSecond, rate > 0 {
            intervalNanos = UInt64(Double(configuration.connections) / rate * 1e9)
        } else {
            intervalNanos = nil
        }
        inFlight.reserveCapacity(configuration.window)
    }

    private static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    // MARK: connecting

    /// Connects; the first failure to connect fails the whole connection.
    func start() {
        guard total > 0 else { return finish() }
        connect()
        scheduleTick()
    }

    private func connect() {
        generation += 1
        let attempt = generation
        let bound = NIOLoopBound(self, eventLoop: loop)
        ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.ackTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MLLPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(LoadChannelHandler(driver: bound.value, generation: attempt))
                }
            }
            .connect(host: configuration.endpoint.host, port: configuration.endpoint.port)
            .assumeIsolated()
            .whenFailure { error in self.connectFailed(generation: attempt, error: error) }
    }

    private func connectFailed(generation attempt: Int, error: any Error) {
        guard !done, attempt == generation else { return }
        let peer = configuration.endpoint.description
        guard everConnected, configuration.resendOnTimeout else {
            done = true
            finished.fail(MLLPClientError(.connectFailed, peer: peer, "cannot connect: \(error)", underlying: error))
            return
        }
        failedConnects += 1
        guard failedConnects < configuration.maxReconnectAttempts else { return finish() }
        let delay = TimeAmount.milliseconds(Int64(min(1000, 50 * failedConnects)))
        loop.assumeIsolated().scheduleTask(in: delay) { self.connect() }
    }

    func connected(generation attempt: Int, handler: LoadChannelHandler) {
        guard !done, attempt == generation else { return }
        self.handler = handler
        failedConnects = 0
        if everConnected {
            result.reconnects += 1
            resendInFlight()
        }
        everConnected = true
        fill()
    }

    func lost(generation attempt: Int) {
        guard !done, attempt == generation else { return }
        handler = nil
        if configuration.resendOnTimeout {
            connect()
        } else {
            finish()
        }
    }

    // MARK: sending and receiving

    /// Sends new messages until the window is full or all are sent.
    private func fill() {
        guard let handler, let context = handler.context else { return }
        var count = min(configuration.window - inFlight.count, total - nextSequence + 1)
        guard count > 0 else { return }
        if let intervalNanos {
            // Paced: one message per interval, whatever the window allows; a late timer sends
            // what fell due meanwhile (open loop: latency is measured from the due time's send).
            let now = Self.now()
            if nextDue == 0 { nextDue = now }
            guard now >= nextDue else { return armPacingTimer(at: nextDue) }
            let due = Int((now - nextDue) / intervalNanos) + 1
            count = min(count, due)
            nextDue += UInt64(count) * intervalNanos
            armPacingTimer(at: nextDue)
        }
        var buffer = context.channel.allocator.buffer(capacity: count * template.maxFrameBytes)
        let now = Self.now()
        for _ in 0..<count {
            template.write(sequence: nextSequence, into: &buffer)
            inFlight.append(InFlight(sequence: nextSequence, firstSent: now, lastSent: now))
            nextSequence += 1
        }
        handler.send(buffer)
    }

    private func armPacingTimer(at deadline: UInt64) {
        guard !pacingTimerArmed, !done else { return }
        pacingTimerArmed = true
        let delay = TimeAmount.nanoseconds(Int64(deadline &- min(deadline, Self.now())))
        loop.assumeIsolated().scheduleTask(in: delay) {
            self.pacingTimerArmed = false
            guard !self.done else { return }
            self.fill()
        }
    }

    /// After a reconnect: the same bytes again for every unanswered message.
    private func resendInFlight() {
        guard !inFlight.isEmpty, let handler, let context = handler.context else { return }
        var buffer = context.channel.allocator.buffer(capacity: inFlight.count * template.maxFrameBytes)
        let now = Self.now()
        for index in inFlight.indices {
            template.write(sequence: inFlight[index].sequence, into: &buffer)
            inFlight[index].lastSent = now
        }
        result.resends += inFlight.count
        handler.send(buffer)
    }

    func received(generation attempt: Int, frame: ByteBuffer) {
        guard !done, attempt == generation, let head = inFlight.popFirst() else { return }
        result.latencies.append(Self.now() &- head.firstSent)
        switch AckPeek.verdict(frame, idPrefix: template.idPrefix, sequence: head.sequence) {
        case .accepted: result.accepted += 1
        case .notAccepted: result.notAccepted += 1
        case .mismatch: result.mismatched += 1
        }
        if inFlight.isEmpty, nextSequence > total {
            finish()
        } else {
            fill()
        }
    }

    // MARK: timeouts

    /// Checks the oldest unanswered message a few times per timeout (cheaper than a timer per
    /// message at tens of thousands of messages a second).
    private func scheduleTick() {
        let interval = TimeAmount.nanoseconds(max(Int64(timeoutNanos / 4), 1_000_000))
        loop.assumeIsolated().scheduleTask(in: interval) {
            guard !self.done else { return }
            self.checkTimeout()
            self.scheduleTick()
        }
    }

    private func checkTimeout() {
        guard handler != nil, let head = inFlight.first, Self.now() &- head.lastSent > timeoutNanos else { return }
        let old = handler
        handler = nil
        if configuration.resendOnTimeout {
            connect()  // bumps the generation: the old channel's events are ignored from now on
            old?.context?.close(promise: nil)
        } else {
            old?.context?.close(promise: nil)
            finish()
        }
    }

    private func finish() {
        guard !done else { return }
        done = true
        generation += 1
        handler?.context?.close(promise: nil)
        handler = nil
        result.unanswered = total - result.latencies.count
        finished.succeed(result)
    }
}
