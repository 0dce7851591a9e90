import MLLP
import NIOCore
import SwitchboardTestSupport
import Testing

@Suite("MLLP client")
struct ClientTests {
    @Test func sendsAndReceivesTheResponse() async throws {
        let server = try await TestMLLPServer.start()
        defer { Task { await server.stop() } }
        let client = try await MLLPClient.connect(host: "127.0.0.1", port: server.port)
        let response = try await client.send(Array("MSH|^~\\&|one\r".utf8), timeout: .seconds(10))
        #expect(String(buffer: response) == "ACK:MSH|^~\\&|one\r")
        let empty = try await client.send(ByteBuffer(), timeout: .seconds(10))
        #expect(String(buffer: empty) == "ACK:")
        try await client.close()
        try await client.close()
    }

    @Test func pipelinedSendsAreAnsweredInOrder() async throws {
        let server = try await TestMLLPServer.start()
        defer { Task { await server.stop() } }
        let client = try await MLLPClient.connect(host: "127.0.0.1", port: server.port)
        let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<64 {
                group.addTask {
                    let response = try await client.send(ByteBuffer(string: "message \(i)"), timeout: .seconds(10))
                    return (i, String(buffer: response))
                }
            }
            var all: [Int: String] = [:]
            for try await (i, text) in group { all[i] = text }
            return all
        }
        #expect(results.count == 64)
        for (i, text) in results { #expect(text == "ACK:message \(i)") }
        #expect(server.framesReceived == 64)
        try await client.close()
    }

    @Test func timeoutFailsTheSendAndClosesTheConnection() async throws {
        let server = try await TestMLLPServer.start { payload in
            String(buffer: payload) == "SILENT" ? .silent : TestMLLPServer.echoACK(payload)
        }
        defer { Task { await server.stop() } }
        let client = try await MLLPClient.connect(host: "127.0.0.1", port: server.port)
        #expect(String(buffer: try await client.send(ByteBuffer(string: "first"), timeout: .seconds(10))) == "ACK:first")
        do {
            _ = try await client.send(ByteBuffer(string: "SILENT"), timeout: .milliseconds(100))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.description.contains("127.0.0.1:\(server.port)"))
        }
        do {
            _ = try await client.send(ByteBuffer(string: "after"), timeout: .seconds(10))
            Issue.record("expected the connection to be closed")
        } catch {
            #expect(error.code == .connectionClosed)
        }
    }

    /// One timer serves every pending request: armed for an earlier request that was answered,
    /// it fires, finds nothing late, and re-arms for the one still waiting, which then times out
    /// after its own timeout (never before).
    @Test func aTimerArmedForAnAnsweredRequestStillTimesOutALaterOne() async throws {
        let server = try await TestMLLPServer.start { payload in
            String(buffer: payload) == "SILENT" ? .silent : TestMLLPServer.echoACK(payload)
        }
        defer { Task { await server.stop() } }
        let client = try await MLLPClient.connect(host: "127.0.0.1", port: server.port)
        #expect(String(buffer: try await client.send(ByteBuffer(string: "first"), timeout: .milliseconds(200))) == "ACK:first")
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        do {
            _ = try await client.send(ByteBuffer(string: "SILENT"), timeout: .milliseconds(400))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.description.contains("400 ms"))
            #expect(ContinuousClock.now - started >= .milliseconds(400))
        }
    }

    @Test func peerClosingFailsPendingSends() async throws {
        let server = try await TestMLLPServer.start { _ in .close }
        defer { Task { await server.stop() } }
        let client = try await MLLPClient.connect(host: "127.0.0.1", port: server.port)
        await #expect(throws: MLLPClientError.self) {
            _ = try await client.send(ByteBuffer(string: "dropped"), timeout: .seconds(30))
        }
    }

    @Test func badResponseFramingIsAFramingError() async throws {
        let server = try await TestMLLPServer.start { _ in .raw(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n")) }
        defer { Task { await server.stop() } }
        let client = try await MLLPClient.connect(
            host: "127.0.0.1", port: server.port,
            framing: MLLPFramingConfiguration(toleratesJunkBeforeStartBlock: false))
        do {
            _ = try await client.send(ByteBuffer(string: "hello"), timeout: .seconds(30))
            Issue.record("expected a framing error")
        } catch {
            #expect(error.code == .framing)
        }
    }

    @Test func refusedConnectionIsConnectFailed() async throws {
        let closed = ClosedPort()
        let port = closed.port
        defer { withExtendedLifetime(closed) {} }
        do {
            _ = try await MLLPClient.connect(host: "127.0.0.1", port: port)
            Issue.record("expected the connection to be refused")
        } catch {
            #expect(error.code == .connectFailed)
            #expect(error.message.isEmpty == false)
            #expect(error.peer == "127.0.0.1:\(port)")
        }
    }
}
