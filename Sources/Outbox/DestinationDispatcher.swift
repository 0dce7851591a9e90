// Sends one destination's queue: in order, one message in flight, over a kept-open connection.
public import Logging

/// How the dispatcher reads an answer frame: MSA-1 and MSA-2, or why it is not a usable ACK.
/// (The Outbox target does not parse HL7; the daemon passes its parser in.)
public typealias AnswerInterpreter = @Sendable (_ answer: [UInt8]) -> DeliveryAnswer

/// What happened to one attempt, for logs and metrics.
public struct DeliveryOutcome: Sendable {
    public var destination: String
    public var entry: OutboxEntry
    public var change: OutboxChange
    /// Milliseconds from the send to the answer (or the failure).
    public var milliseconds: Int64
}

/// Delivers one destination's entries until cancelled.
///
/// The loop: ask the ledger for the next step; send the head over the open connection (opening
/// one when there is none); hand the answer to the ledger, which journals the outcome. Any
/// failure (connect, timeout, a closed connection, an answer that is not our ACK) closes the
/// connection, so a late answer can never be taken for the next message's.
public final class DestinationDispatcher: Sendable {
    public let destination: String
    private let ledger: any OutboxLedger
    private let connect: MessageTransportFactory
    private let interpret: AnswerInterpreter
    private let policy: @Sendable () -> DeliveryPolicy
    private let clock: @Sendable () -> Int64
    private let random: @Sendable () -> Double
    private let observe: @Sendable (DeliveryOutcome) -> Void
    private let observeConnectFailure: @Sendable (String) -> Void
    private let logger: Logger
    private let signal = WakeSignal()

    /// - Parameters:
    ///   - policy: read before every attempt (a configuration reload applies at once).
    ///   - clock: milliseconds since the epoch.
    ///   - random: in 0..<1, for the backoff's jitter.
    ///   - observe: called after every attempt (metrics).
    ///   - observeConnectFailure: called when a connect fails (metrics).
    public init(
        destination: String, ledger: any OutboxLedger, connect: @escaping MessageTransportFactory,
        interpret: @escaping AnswerInterpreter, policy: @escaping @Sendable () -> DeliveryPolicy,
        clock: @escaping @Sendable () -> Int64, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        observe: @escaping @Sendable (DeliveryOutcome) -> Void = { _ in },
        observeConnectFailure: @escaping @Sendable (String) -> Void = { _ in }, logger: Logger
    ) {
        self.observeConnectFailure = observeConnectFailure
        self.destination = destination
        self.ledger = ledger
        self.connect = connect
        self.interpret = interpret
        self.policy = policy
        self.clock = clock
        self.random = random
        self.observe = observe
        self.logger = logger
    }

    /// New work (an entry committed, an operator's retry): look again now.
    public func wake() { signal.signal() }

    /// Runs until the task is cancelled; the connection is closed on the way out.
    public func run() async {
        var transport: (any MessageTransport)?
        var connectFailures = 0
        /// While the partner is unreachable: no connect before this time (new work arriving
        /// meanwhile does not cut the backoff short).
        var connectNotBefore: Int64 = 0
        defer {
            if let open = transport { Task { await open.close() } }
        }
        while !Task.isCancelled {
            let now = clock()
            switch ledger.nextStep(for: destination, now: now) {
            case .idle:
                await signal.wait(timeout: nil)
                continue
            case .wait(let until):
                await signal.wait(timeout: .milliseconds(max(until - now, 1)))
                continue
            case .send:
                break
            }
            let policy = policy()
            if let open = transport, !open.isOpen {
                // Closed while idle (by the partner, a firewall, a load balancer): reconnect
                // before the attempt, not after a failed one.
                transport = nil
                await open.close()
            }
            if transport == nil, clock() < connectNotBefore {
                await signal.wait(timeout: .milliseconds(max(connectNotBefore - clock(), 1)))
                continue
            }
            if transport == nil {
                // Connect before the attempt: an unreachable partner does not use up the
                // messages' attempts (an outage must not dead-letter the queue); it backs off.
                do {
                    transport = try await connect(destination, policy.connectTimeoutMilliseconds)
                    if connectFailures > 0 {
                        logger.info("outbox destination reachable again", metadata: [
                            "outbox.destination": "\(destination)", "outbox.connect_failures": "\(connectFailures)"])
                    }
                    connectFailures = 0
                } catch {
                    connectFailures += 1
                    let wait = policy.backoff(afterAttempt: connectFailures, random: random())
                    logger.warning("outbox destination unreachable; will retry", metadata: [
                        "outbox.destination": "\(destination)", "outbox.connect_failures": "\(connectFailures)",
                        "outbox.retry_in_ms": "\(wait)", "reason": "\(Self.describe(error))"])
                    observeConnectFailure(destination)
                    connectNotBefore = clock() + wait
                    continue
                }
            }
            // Bound before the attempt starts: an attempt, once started, is always finished.
            guard let open = transport, let entry = ledger.startAttempt(for: destination, now: clock()) else { continue }
            let started = clock()
            let answer: DeliveryAnswer
            do {
                // Shutdown closes the connection: the send fails at once instead of waiting out
                // the ACK timeout (the message stays pending, counted, and goes again on restart).
                let frame = try await withTaskCancellationHandler {
                    try await open.send(entry.payload, timeoutMilliseconds: policy.ackTimeoutMilliseconds)
                } onCancel: {
                    Task { await open.close() }
                }
                answer = interpret(frame)
            } catch {
                answer = .none(Self.describe(error))
            }
            if case .ack(let code, let controlID) = answer, controlID == entry.controlID, ["AA", "CA", "AE", "CE", "AR", "CR"].contains(code) {
                // Kept open: the answer was ours.
            } else {
                // Timeout, closed, not an ACK, or an ACK for another message: a fresh connection,
                // so nothing late on this one is read as the next message's answer.
                transport = nil
                await open.close()
            }
            guard let change = ledger.finishAttempt(for: destination, entryID: entry.id, answer: answer, policy: policy, now: clock(),
                                                    random: random())
            else { continue }
            let outcome = DeliveryOutcome(destination: destination, entry: entry, change: change, milliseconds: clock() - started)
            log(outcome)
            observe(outcome)
        }
    }

    private func log(_ outcome: DeliveryOutcome) {
        var metadata: Logger.Metadata = [
            "outbox.destination": "\(destination)", "outbox.id": "\(outcome.entry.id)",
            "outbox.control_id": "\(outcome.entry.controlID)", "outbox.attempt": "\(outcome.entry.attempts)",
            "duration_ms": "\(outcome.milliseconds)",
        ]
        switch outcome.change {
        case .delivered(_, _, let code):
            metadata["outbox.outcome"] = "delivered"
            metadata["hl7.ack_code"] = "\(code)"
            logger.info("outbox message delivered", metadata: metadata)
        case .retryScheduled(_, let notBefore, let reason):
            metadata["outbox.outcome"] = "retry"
            metadata["outbox.retry_in_ms"] = "\(max(notBefore - clock(), 0))"
            metadata["reason"] = "\(reason)"
            logger.warning("outbox delivery failed; will retry", metadata: metadata)
        case .deadLettered(_, _, let reason):
            metadata["outbox.outcome"] = "dead-letter"
            metadata["reason"] = "\(reason)"
            logger.error("outbox message dead-lettered", metadata: metadata)
        default:
            break
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let described = error as? any CustomStringConvertible { return described.description }
        return "\(error)"
    }
}
