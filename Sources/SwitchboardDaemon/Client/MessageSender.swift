public import MLLP
import NIOCore

/// What happened to one message.
public struct SendOutcome: Sendable {
    /// How the exchange ended.
    public enum Result: Sendable {
        /// A response that reads as an ACK.
        case acknowledged(AckSummary)
        /// A response that is not an ACK.
        case unreadableResponse(String)
        /// No response (timeout, connection closed, framing error).
        case noResponse(MLLPClientError)
    }

    /// The message sent.
    public var message: OutboundMessage
    /// The answer.
    public var result: Result

    /// Whether the ACK is AA/CA and its MSA-2 is the message's MSH-10.
    public var succeeded: Bool {
        guard case .acknowledged(let ack) = result else { return false }
        return ack.isAccept && ack.controlID == message.controlID
    }

    /// The ACK, when there is one.
    public var ack: AckSummary? {
        if case .acknowledged(let ack) = result { ack } else { nil }
    }
}

/// Sends messages one at a time over MLLP and reads their ACKs: the library behind
/// `switchboard send`.
public enum MessageSender {
    /// Sends each message as one frame on one connection and waits for its ACK before the next.
    /// After a timeout or a closed connection the message is reported as unanswered (not
    /// resent) and the next one goes out on a new connection.
    /// - Parameters:
    ///   - timeout: how long to wait for each ACK.
    ///   - each: called with each outcome, in order, as it arrives.
    /// - Returns: every outcome, in order.
    /// - Throws: ``MLLPClientError`` when a connection cannot be made (`connectFailed`).
    @discardableResult
    public static func send(
        _ messages: [OutboundMessage], to endpoint: MLLPEndpoint, tls: MLLPClientTLSConfiguration? = nil,
        timeout: Duration, connectTimeout: Duration = .seconds(10), each: (SendOutcome) -> Void = { _ in }
    ) async throws(MLLPClientError) -> [SendOutcome] {
        var outcomes: [SendOutcome] = []
        var client: MLLPClient?
        for message in messages {
            if client == nil {
                client = try await MLLPClient.connect(host: endpoint.host, port: endpoint.port, tls: tls, connectTimeout: connectTimeout)
            }
            let result: SendOutcome.Result
            do {
                let response = try await client!.send(message.bytes, timeout: timeout)
                do {
                    result = .acknowledged(try AckSummary(parsing: Array(response.readableBytesView)))
                } catch {
                    result = .unreadableResponse(error.message)
                }
            } catch {
                result = .noResponse(error)
                try? await client?.close()
                client = nil
            }
            let outcome = SendOutcome(message: message, result: result)
            outcomes.append(outcome)
            each(outcome)
        }
        // A connect failure above leaves no connection open: `client` is nil whenever it throws.
        try? await client?.close()
        return outcomes
    }
}
