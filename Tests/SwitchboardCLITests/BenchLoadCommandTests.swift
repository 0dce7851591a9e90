import HL7
import SwitchboardTestSupport
import Testing

/// `switchboard bench load` against a loopback server that answers with real ACKs.
@Suite("bench load command")
struct BenchLoadCommandTests {
    @Test func reportsOneJSONLineAndExitsZero() async throws {
        let server = try await TestMLLPServer.start(respond: TestMLLPServer.hl7ACK())
        let result = try runSwitchboard(["bench", "load", "--to", "127.0.0.1:\(server.port)", "--connections", "2",
                                         "--window", "8", "--messages", "200", "--run-id", "cli", "--json"])
        await server.stop()
        #expect(result.status == 0, "\(result.errorOutput)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("{\"run\":\"cli\",\"connections\":2,\"window\":8,\"messages\":200,\"acknowledged\":200,") == true)
        #expect(result.output.contains("\"failures\":0,"))
        #expect(server.framesReceived == 200)
    }

    @Test func rejectedMessagesExitOne() async throws {
        let server = try await TestMLLPServer.start(respond: TestMLLPServer.hl7ACK { _ in .rejected })
        let result = try runSwitchboard(["bench", "load", "--to", "127.0.0.1:\(server.port)", "--messages", "5"])
        await server.stop()
        #expect(result.status == 1)
        #expect(result.output.contains("not AA 5"))
    }

    @Test func badUsageExitsTwo() throws {
        #expect(try runSwitchboard(["bench", "load", "--to", "127.0.0.1:1", "--window", "0"]).status == 2)
        #expect(try runSwitchboard(["bench", "load", "--to", "nowhere"]).status == 2)
    }
}
