// The TESTPLAN's "real sender": wait for the ACK with a timeout; on timeout or reset reconnect
// and resend the same bytes until an AA/AE/AR arrives. Blocking, one connection at a time; a
// test runs one per thread.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Delivers messages one after the other over a loopback connection that it reopens whenever
/// the peer closes, resets or stays silent.
///
/// ```swift
/// let sender = ResendingMLLPSender(port: { currentPort.value })
/// let delivery = sender.deliver(bytes, controlID: "R1-0-17")
/// // delivery.ack?.code == "AA", delivery.attempts == 1 + resends
/// ```
public final class ResendingMLLPSender {
    /// What happened to one message.
    public struct Delivery: Sendable {
        /// The answer, or `nil` when the sender gave up (attempts or deadline exhausted).
        public var ack: AckSummary?
        /// Frames sent (1 = answered without a resend). A frame whose send failed counts too:
        /// the daemon may have read part of it.
        public var attempts: Int
        /// Attempts that ended with the connection closed or reset before an answer.
        public var resets: Int
        /// Attempts that ended with no answer within the ACK timeout.
        public var timeouts: Int
        /// Answers that were not an ACK of this message (wrong MSA-2, not an ACK).
        public var strayAnswers: Int
        /// Seconds from the first send to the answer (or to giving up).
        public var seconds: Double
    }

    /// Gives the port to connect to (it may change while the daemon restarts).
    public let port: @Sendable () -> Int
    public let ackTimeout: Double
    public let reconnectDelay: Double
    private var connection: LoopbackMLLPConnection?
    /// Successful connects so far.
    public private(set) var connects = 0
    /// Connect attempts that failed (refused while the daemon was down, ...).
    public private(set) var failedConnects = 0

    /// - Parameters:
    ///   - ackTimeout: seconds to wait for the answer before resending on a new connection
    ///     (TESTPLAN: 5).
    ///   - reconnectDelay: pause after a failed connect or a lost connection.
    public init(port: @escaping @Sendable () -> Int, ackTimeout: Double = 5, reconnectDelay: Double = 0.01) {
        self.port = port
        self.ackTimeout = ackTimeout
        self.reconnectDelay = reconnectDelay
    }

    deinit { connection?.close() }

    /// Closes the current connection (the next delivery opens a new one).
    public func close() {
        connection?.close()
        connection = nil
    }

    /// Sends `payload` (whose MSH-10 is `controlID`) until an ACK with MSA-2 = `controlID`
    /// arrives, resending the same bytes after every reset or timeout.
    /// - Parameters:
    ///   - maxAttempts: give up after this many frames sent.
    ///   - deadline: give up after this many seconds.
    public func deliver(_ payload: [UInt8], controlID: String, maxAttempts: Int = .max, deadline: Double = 120) -> Delivery {
        let started = monotonicSeconds()
        var delivery = Delivery(ack: nil, attempts: 0, resets: 0, timeouts: 0, strayAnswers: 0, seconds: 0)
        let frame = LoopbackMLLPConnection.frame(payload)
        defer { delivery.seconds = monotonicSeconds() - started }
        while delivery.attempts < maxAttempts && monotonicSeconds() - started < deadline {
            if connection == nil {
                do {
                    connection = try LoopbackMLLPConnection(port: port(), timeout: 2)
                    connects += 1
                } catch {
                    failedConnects += 1
                    sleepSeconds(reconnectDelay)
                    continue
                }
            }
            guard let current = connection else { continue }
            delivery.attempts += 1
            do {
                try current.sendRaw(frame)
            } catch {
                delivery.resets += 1
                close()
                sleepSeconds(reconnectDelay)
                continue
            }
            switch current.nextEvent(timeout: ackTimeout) {
            case .frame(let answer):
                if let ack = AckSummary(answer), ack.acknowledgedControlID == controlID {
                    delivery.ack = ack
                    return delivery
                }
                // Not ours: the stream is out of step; start over on a new connection.
                delivery.strayAnswers += 1
                close()
            case .timeout:
                delivery.timeouts += 1
                close()
            case .closed:
                delivery.resets += 1
                close()
                sleepSeconds(reconnectDelay)
            }
        }
        return delivery
    }
}
