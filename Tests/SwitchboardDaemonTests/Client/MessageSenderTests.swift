import HL7
import MLLP
import NIOCore
import SwitchboardDaemon
import SwitchboardTestSupport
import Testing

@Suite("Message sender")
struct MessageSenderTests {
    private func message(_ id: String, number: Int) -> OutboundMessage {
        OutboundMessage(file: "test.hl7", number: number,
                        bytes: Array("MSH|^~\\&|A|B|C|D|20261129||ADT^A01^ADT_A01|\(id)|P|2.5.1\rPID|1\r".utf8),
                        controlID: id, isXML: false)
    }

    @Test func acceptedRejectedAndUnansweredMessages() async throws {
        let acker = TestMLLPServer.hl7ACK { $0 == "M2" ? .error : .accepted }
        let server = try await TestMLLPServer.start { payload in
            String(buffer: payload).contains("|SILENT|") ? .silent : acker(payload)
        }
        let messages = [message("M1", number: 1), message("M2", number: 2), message("SILENT", number: 3), message("M4", number: 4)]
        var seen: [String] = []
        let outcomes = try await MessageSender.send(
            messages, to: MLLPEndpoint(host: "127.0.0.1", port: server.port), timeout: .milliseconds(300)
        ) { seen.append($0.message.controlID) }
        await server.stop()
        #expect(seen == ["M1", "M2", "SILENT", "M4"])
        #expect(outcomes.map(\.succeeded) == [true, false, false, true])
        #expect(outcomes[1].ack?.code == "AE")
        #expect(outcomes[1].ack?.errors.first?.code == "207")
        if case .noResponse(let error) = outcomes[2].result { #expect(error.code == .timeout) } else { Issue.record("expected no response") }
        // After the timeout the next message went out on a new connection.
        #expect(server.connectionsAccepted == 2)
    }

    @Test func controlIDMismatchIsAFailure() async throws {
        let server = try await TestMLLPServer.start { _ in
            .respond(ByteBuffer(string: "MSH|^~\\&|B|A|D|C|20261129||ACK^A01^ACK|X|P|2.5.1\rMSA|AA|SOMEONE-ELSE\r"))
        }
        let outcomes = try await MessageSender.send([message("MINE", number: 1)], to: MLLPEndpoint(host: "127.0.0.1", port: server.port),
                                                    timeout: .seconds(10))
        await server.stop()
        #expect(outcomes.first?.ack?.isAccept == true)
        #expect(outcomes.first?.succeeded == false)
    }

    @Test func unreachablePeerThrowsConnectFailed() async throws {
        let closed = ClosedPort()
        await #expect(throws: MLLPClientError.self) {
            try await MessageSender.send([message("M1", number: 1)], to: MLLPEndpoint(host: "127.0.0.1", port: closed.port),
                                         timeout: .seconds(1))
        }
        withExtendedLifetime(closed) {}
    }
}
