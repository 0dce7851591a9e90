import HL7
import MLLP
import NIOCore
import Synchronization
@testable import SwitchboardDaemon
import SwitchboardTestSupport
import Testing

@Suite("Load generator")
struct LoadGeneratorTests {
    private func configuration(port: Int, connections: Int, window: Int, messages: Int, size: Int = 0,
                               timeout: Duration = .seconds(10), resend: Bool = false) -> LoadConfiguration {
        LoadConfiguration(endpoint: MLLPEndpoint(host: "127.0.0.1", port: port), connections: connections, window: window,
                          messages: messages, size: size, runID: "t", ackTimeout: timeout, resendOnTimeout: resend)
    }

    @Test func everyMessageAcknowledgedOncePipelined() async throws {
        let seen = Mutex<[String: Int]>([:])
        let acker = TestMLLPServer.hl7ACK()
        let server = try await TestMLLPServer.start { payload in
            let id = HL7HeaderPeek.peek(Array(payload.readableBytesView))?.controlID ?? "?"
            seen.withLock { $0[id, default: 0] += 1 }
            return acker(payload)
        }
        let report = try await LoadGenerator.run(configuration(port: server.port, connections: 3, window: 4, messages: 100))
        await server.stop()
        #expect(report.acknowledged == 100)
        #expect(report.failures == 0)
        #expect(report.resends == 0)
        let ids = seen.withLock { $0 }
        #expect(ids.count == 100)
        #expect(ids.values.allSatisfy { $0 == 1 })
        #expect(ids["t-1-1"] == 1 && ids["t-1-34"] == 1 && ids["t-3-33"] == 1 && ids["t-3-34"] == nil)
        #expect(report.p50Milliseconds <= report.p99Milliseconds && report.p99Milliseconds <= report.maxMilliseconds)
    }

    @Test func messagesAreValidSyntheticADTOfTheRequestedSize() async throws {
        let sizes = Mutex<[Int]>([])
        let acker = TestMLLPServer.hl7ACK()
        let server = try await TestMLLPServer.start { payload in
            let message = try? HL7Message(parsing: Array(payload.readableBytesView))
            sizes.withLock { $0.append(message?.header.messageType == "ADT^A01^ADT_A01" ? payload.readableBytes : -1) }
            return acker(payload)
        }
        let report = try await LoadGenerator.run(configuration(port: server.port, connections: 1, window: 1, messages: 3, size: 2048))
        await server.stop()
        #expect(report.failures == 0)
        let measured = sizes.withLock { $0 }
        #expect(measured.count == 3)
        #expect(measured.allSatisfy { abs($0 - 2048) <= 8 })
    }

    @Test func rejectionsAndMismatchesAreFailures() async throws {
        let acker = TestMLLPServer.hl7ACK { $0.hasSuffix("-3") ? .error : .accepted }
        let server = try await TestMLLPServer.start { payload in
            let id = HL7HeaderPeek.peek(Array(payload.readableBytesView))?.controlID ?? "?"
            if id.hasSuffix("-5") {
                return .respond(ByteBuffer(string: "MSH|^~\\&|B|A|D|C|20261129||ACK|X|P|2.5.1\rMSA|AA|t-1-4\r"))
            }
            return acker(payload)
        }
        let report = try await LoadGenerator.run(configuration(port: server.port, connections: 1, window: 2, messages: 6))
        await server.stop()
        #expect(report.acknowledged == 6)
        #expect(report.notAccepted == 1)
        #expect(report.mismatched == 1)
        #expect(report.failures == 2)
    }

    @Test func withoutResendATimeoutLeavesMessagesUnanswered() async throws {
        let acker = TestMLLPServer.hl7ACK()
        let server = try await TestMLLPServer.start { payload in
            String(buffer: payload).contains("|t-1-3|") ? .silent : acker(payload)
        }
        let report = try await LoadGenerator.run(configuration(port: server.port, connections: 1, window: 1, messages: 5,
                                                               timeout: .milliseconds(200)))
        await server.stop()
        #expect(report.acknowledged == 2)
        #expect(report.unanswered == 3)
        #expect(report.failures == 3)
    }

    @Test func resendsTheSameBytesAfterTimeoutsAndDroppedConnections() async throws {
        // The first time t-1-3 arrives the server stays silent; the first time t-1-6 arrives
        // it closes the connection. Both are resent on a new connection and acknowledged.
        let firstSeen = Mutex<Set<String>>([])
        let bytesByID = Mutex<[String: [[UInt8]]]>([:])
        let acker = TestMLLPServer.hl7ACK()
        let server = try await TestMLLPServer.start { payload in
            let bytes = Array(payload.readableBytesView)
            let id = HL7HeaderPeek.peek(bytes)?.controlID ?? "?"
            bytesByID.withLock { $0[id, default: []].append(bytes) }
            let first = firstSeen.withLock { $0.insert(id).inserted }
            if first, id == "t-1-3" { return .silent }
            if first, id == "t-1-6" { return .close }
            return acker(payload)
        }
        let report = try await LoadGenerator.run(configuration(port: server.port, connections: 1, window: 1, messages: 8,
                                                               timeout: .milliseconds(200), resend: true))
        await server.stop()
        #expect(report.acknowledged == 8)
        #expect(report.failures == 0)
        #expect(report.resends == 2)
        #expect(report.reconnects == 2)
        let copies = bytesByID.withLock { $0 }
        #expect(copies["t-1-3"]?.count == 2 && copies["t-1-3"]?[0] == copies["t-1-3"]?[1])
        #expect(copies["t-1-6"]?.count == 2 && copies["t-1-6"]?[0] == copies["t-1-6"]?[1])
        #expect(server.connectionsAccepted == 3)
    }

    @Test func unreachableTargetIsConnectFailed() async throws {
        let closed = ClosedPort()
        await #expect(throws: MLLPClientError.self) {
            try await LoadGenerator.run(configuration(port: closed.port, connections: 2, window: 1, messages: 4))
        }
        withExtendedLifetime(closed) {}
    }

    @Test func ackPeekChecksCodeAndControlID() {
        let prefix = Array("r-2-".utf8)
        func verdict(_ text: String, _ sequence: Int) -> AckPeek.Verdict {
            AckPeek.verdict(ByteBuffer(string: text), idPrefix: prefix, sequence: sequence)
        }
        #expect(verdict("MSH|^~\\&|A\rMSA|AA|r-2-17\r", 17) == .accepted)
        #expect(verdict("MSH|^~\\&|A\nMSA|CA|r-2-17|ok\n", 17) == .accepted)
        #expect(verdict("MSH|^~\\&|A\rMSA|AE|r-2-17\rERR|||101\r", 17) == .notAccepted)
        #expect(verdict("MSH|^~\\&|A\rMSA|AA|r-2-170\r", 17) == .mismatch)
        #expect(verdict("MSH|^~\\&|A\rMSA|AA|r-2-017\r", 17) == .mismatch)
        #expect(verdict("MSH|^~\\&|A\rMSA|AA|r-3-17\r", 17) == .mismatch)
        #expect(verdict("MSH|^~\\&|A\rERR|AA|r-2-17\r", 17) == .mismatch)
        #expect(verdict("garbage", 17) == .mismatch)
    }

    @Test func reportFormats() {
        let report = LoadReport(runID: "r\"1", connections: 2, window: 3, messages: 10, acknowledged: 10, seconds: 2,
                                p50Milliseconds: 0.5, p99Milliseconds: 1.25, maxMilliseconds: 3, notAccepted: 1,
                                mismatched: 0, unanswered: 0, resends: 4, reconnects: 1)
        #expect(report.messagesPerSecond == 5)
        #expect(report.jsonLine.hasPrefix("{\"run\":\"r\\\"1\",\"connections\":2,\"window\":3,\"messages\":10,\"acknowledged\":10,"))
        #expect(report.jsonLine.contains("\"failures\":1,"))
        #expect(report.table.contains("messages/s"))
        #expect(report.table.contains("1.250"))
    }
}
