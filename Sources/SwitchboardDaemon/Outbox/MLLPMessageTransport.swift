// The outbox's transport in the daemon: a kept-open MLLP connection (TLS optional).
import MLLP
import NIOCore
import Outbox

/// One MLLP connection to a destination.
struct MLLPMessageTransport: MessageTransport {
    let client: MLLPClient

    static func connect(_ address: HostAndPort, tls: MLLPClientTLSConfiguration?, timeoutMilliseconds: Int64) async throws -> MLLPMessageTransport {
        MLLPMessageTransport(client: try await MLLPClient.connect(
            host: address.host, port: address.port, tls: tls, connectTimeout: .milliseconds(timeoutMilliseconds)))
    }

    func send(_ payload: [UInt8], timeoutMilliseconds: Int64) async throws -> [UInt8] {
        let answer = try await client.send(payload, timeout: .milliseconds(timeoutMilliseconds))
        return Array(answer.readableBytesView)
    }

    func close() async { try? await client.close() }

    var isOpen: Bool { client.isActive }
}

/// Reads a partner's answer: MSA-1 and MSA-2 of an ER7 or HL7 v2.xml ACK.
enum DeliveryAnswerReader {
    static func read(_ frame: [UInt8]) -> DeliveryAnswer {
        guard let summary = try? AckSummary(parsing: frame) else {
            return .none("the answer is not an HL7 ACK (\(frame.count) bytes)")
        }
        return .ack(code: summary.code, controlID: summary.controlID)
    }
}
