import HL7
import SwitchboardTestSupport
import Testing

/// `switchboard send` against a loopback server that answers with real ACKs.
@Suite("send command")
struct SendCommandTests {
    private static let samples = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")

    private func sample(_ name: String) -> String { "/" + Self.samples + "/samples/" + name }

    @Test func sendsEveryMessageAndPrintsItsACK() async throws {
        let server = try await TestMLLPServer.start(respond: TestMLLPServer.hl7ACK())
        let result = try runSwitchboard(["send", "--to", "127.0.0.1:\(server.port)", sample("batch_adt.hl7"), sample("adt_a01.hl7")])
        await server.stop()
        #expect(result.status == 0, "\(result.errorOutput)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.contains(" ack=CA") || $0.contains(" ack=AA") })
        #expect(lines.first?.hasPrefix(sample("batch_adt.hl7") + "#1 control_id=MSG-A01-0001 ack=") == true)
        #expect(server.framesReceived == 3)
    }

    @Test func rejectedMessageExitsOneWithItsError() async throws {
        let server = try await TestMLLPServer.start(respond: TestMLLPServer.hl7ACK { _ in .rejected })
        let result = try runSwitchboard(["send", "--to", "127.0.0.1:\(server.port)", sample("adt_a03.hl7")])
        await server.stop()
        #expect(result.status == 1)
        #expect(result.output.contains("err=207"))
        #expect(result.output.contains(" ack=AR") || result.output.contains(" ack=CR"))
    }

    @Test func badInputExitsTwoBeforeSending() async throws {
        let server = try await TestMLLPServer.start(respond: TestMLLPServer.hl7ACK())
        let missing = try runSwitchboard(["send", "--to", "127.0.0.1:\(server.port)", sample("adt_a01.hl7"), "/nonexistent/file.hl7"])
        let badTarget = try runSwitchboard(["send", "--to", "no-port", sample("adt_a01.hl7")])
        let badCA = try runSwitchboard(["send", "--to", "127.0.0.1:\(server.port)", "--tls-ca", "/nonexistent/ca.pem", sample("adt_a01.hl7")])
        await server.stop()
        #expect(missing.status == 2)
        #expect(missing.errorOutput.contains("/nonexistent/file.hl7"))
        #expect(badTarget.status == 2)
        #expect(badCA.status == 2)
        #expect(badCA.errorOutput.contains("/nonexistent/ca.pem"))
        #expect(server.framesReceived == 0)
    }
}
