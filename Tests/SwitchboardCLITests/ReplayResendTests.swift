// Online replay when answers go missing: a frame without an answer within --timeout, or whose
// connection closed, is sent again (the same bytes, on a new connection) and ends accepted; a
// real daemon behind a proxy that loses answers stores each message once.
import Foundation
import NIOCore
import Synchronization
import SwitchboardTestSupport
import Testing

@Suite("replay resends")
struct ReplayResendTests {
    private static let root = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")

    /// `count` synthetic admissions, each for its own invented patient.
    private static func archive(_ count: Int, prefix: String) -> [UInt8] {
        let text = (1...count).map { n in
            "MSH|^~\\&|ADT1|GHH|SWB|CC|20261130083000||ADT^A01^ADT_A01|\(prefix)\(n)|P|2.5.1\r"
                + "EVN|A01|20261130083000\r"
                + "PID|1||RS\(n)^^^GHH^MR||SYNTHETIC^RESEND\(n)\r"
                + "PV1|1|I|4WEST^0401^A|||||||||||||||RV\(n)|||||||||||||||||||||||||20261130083000\r"
        }.joined(separator: "\n")
        return Array(text.utf8)
    }

    private static func controlID(of frame: ByteBuffer) -> String {
        let text = String(buffer: frame)
        let fields = text.prefix { $0 != "\r" }.split(separator: "|", omittingEmptySubsequences: false)
        return fields.count > 9 ? String(fields[9]) : ""
    }

    @Test func framesWithoutAnAnswerAreSentAgainWithTheSameBytes() async throws {
        let work = try TemporaryDirectory.make(prefix: "switchboard-resend")
        defer { TemporaryDirectory.remove(work) }
        try Data(Self.archive(30, prefix: "RS-")).write(to: URL(fileURLWithPath: work + "/a.hl7"))
        // The partner stays silent the first time it sees RS-4 or RS-20 (a timeout) and closes the
        // connection the first time it sees RS-12 or RS-27; it answers AA otherwise. One frame in
        // flight: a partner that skips one answer but answers the next frames would shift the
        // answers of a pipelined window (reported as MSA-2 mismatches, not resent).
        let seen = Mutex<[String: [ByteBuffer]]>([:])
        let server = try await TestMLLPServer.start { frame in
            let id = Self.controlID(of: frame)
            let copies = seen.withLock { seen -> Int in
                seen[id, default: []].append(frame)
                return seen[id]!.count
            }
            let number = Int(id.dropFirst(3)) ?? 0
            if copies == 1, [4, 20].contains(number) { return .silent }
            if copies == 1, [12, 27].contains(number) { return .close }
            return .respond(ByteBuffer(string: "MSH|^~\\&|P|P|ADT1|GHH|20261130083001||ACK^A01^ACK|A\(id)|P|2.5.1\rMSA|AA|\(id)\r"))
        }
        defer { Task { await server.stop() } }
        let result = try runSwitchboard(["replay", work + "/a.hl7", "--to", "127.0.0.1:\(server.port)", "--window", "1",
                                         "--timeout", "1", "--resends", "3", "--report", work + "/report.json"])
        #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/report.json"))) as? [[String: Any]])
        #expect(rows.count == 30)
        #expect(rows.allSatisfy { $0["ack"] as? String == "AA" }, "\(rows.filter { $0["ack"] as? String != "AA" })")
        #expect(rows.map { $0["control_id"] as? String ?? "" } == (1...30).map { "RS-\($0)" })
        let copies = seen.withLock { $0 }
        // Every message arrived; those that went unanswered arrived again, byte for byte.
        #expect(copies.count == 30)
        for number in [4, 12, 20, 27] {
            let frames = try #require(copies["RS-\(number)"])
            #expect(frames.count >= 2, "RS-\(number) was not sent again")
            #expect(Set(frames).count == 1, "RS-\(number) was sent with different bytes")
        }
        #expect(server.connectionsAccepted >= 1 + 4, "a new connection after each timeout and close")
    }

    /// `--rate` paces the sends but still keeps a window in flight: this partner answers each
    /// odd frame only together with the even one after it, so a client that waits for an answer
    /// before sending the next paced frame times out.
    @Test func pacedSendsKeepAWindowInFlight() async throws {
        let work = try TemporaryDirectory.make(prefix: "switchboard-resend")
        defer { TemporaryDirectory.remove(work) }
        try Data(Self.archive(10, prefix: "PW-")).write(to: URL(fileURLWithPath: work + "/a.hl7"))
        let held = Mutex<String?>(nil)
        let server = try await TestMLLPServer.start { frame in
            let id = Self.controlID(of: frame)
            func framed(_ id: String) -> String {
                "\u{0B}MSH|^~\\&|P|P|ADT1|GHH|20261130083001||ACK^A01^ACK|A\(id)|P|2.5.1\rMSA|AA|\(id)\r\u{1C}\r"
            }
            guard let first = held.withLock({ held -> String? in
                defer { held = held == nil ? id : nil }
                return held
            }) else { return .silent }  // held until the next frame arrives
            return .raw(ByteBuffer(string: framed(first) + framed(id)))
        }
        defer { Task { await server.stop() } }
        let result = try runSwitchboard(["replay", work + "/a.hl7", "--to", "127.0.0.1:\(server.port)", "--rate", "200", "--window", "8",
                                         "--timeout", "3", "--resends", "0", "--report", work + "/report.json"])
        #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
        #expect(server.framesReceived == 10 && server.connectionsAccepted == 2, "one probe, one connection: nothing resent")
    }

    /// Many lanes, a deep window and a steady loss rate: every message ends accepted and the
    /// daemon stores each once. Quick here (1,200 messages); SWITCHBOARD_SOAK=1 sends 20,000.
    @Test func lanesUnderSteadyLossEndAcceptedAndStoredOnce() async throws {
        let executable = try #require(CommandRunner.switchboardPath)
        let daemon = try DaemonProcess.start(executable: executable)
        defer { daemon.cleanUp() }
        let work = try TemporaryDirectory.make(prefix: "switchboard-resend")
        defer { TemporaryDirectory.remove(work) }
        let count = ProcessInfo.processInfo.environment["SWITCHBOARD_SOAK"] == "1" ? 20_000 : 1_200
        try Data(Self.archive(count, prefix: "SL-")).write(to: URL(fileURLWithPath: work + "/a.hl7"))
        // Every 37th answer lost: more than a window (32) apart (see the test below).
        let proxy = try await DroppingMLLPProxy.start(upstreamPort: daemon.port, dropEvery: 37)
        defer { Task { await proxy.stop() } }
        let started = ContinuousClock.now
        let result = try runSwitchboard(["replay", work + "/a.hl7", "--to", "127.0.0.1:\(proxy.port)", "--connections", "4",
                                         "--window", "32", "--resends", "20", "--report", work + "/report.json"])
        #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/report.json"))) as? [[String: Any]])
        #expect(rows.count == count && rows.allSatisfy { $0["ack"] as? String == "AA" })
        #expect(daemon.terminate() == 0)
        // Stored once each: one inbound record per control id (a resent copy is answered from
        // the duplicate index, not stored again). The order across lanes is not kept, so the
        // caseload is compared by content, not by hash.
        let dump = try runSwitchboard(["journal", "dump", "--state", daemon.stateDirectory, "--format", "jsonl"])
        #expect(dump.status == 0, "\(dump.errorOutput)")
        let ids = dump.output.split(separator: "\n").compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["kind"] as? String == "inbound" else { return nil }
            return object["control_id"] as? String
        }
        #expect(ids.count == count && Set(ids) == Set((1...count).map { "SL-\($0)" }))
        let cases = try runSwitchboard(["caseload", "cases", "--state", daemon.stateDirectory, "--json"])
        let open = (try? JSONSerialization.jsonObject(with: Data(cases.output.utf8)) as? [Any])?.count
        #expect(open == count, "one open case per admitted patient")
        print(#"{"test":"replay-lossy-lanes","messages":\#(count),"answers_dropped":\#(proxy.droppedAnswers),"all_accepted":\#(rows.allSatisfy { $0["ack"] as? String == "AA" }),"stored_once":\#(ids.count == count && Set(ids).count == count),"seconds":\#((ContinuousClock.now - started).components.seconds)}"#)
    }

    @Test func aDaemonBehindALossyProxyStoresEachMessageOnce() async throws {
        let executable = try #require(CommandRunner.switchboardPath)
        let daemon = try DaemonProcess.start(executable: executable)
        defer { daemon.cleanUp() }
        let work = try TemporaryDirectory.make(prefix: "switchboard-resend")
        defer { TemporaryDirectory.remove(work) }
        try Data(Self.archive(60, prefix: "LP-")).write(to: URL(fileURLWithPath: work + "/a.hl7"))
        // Every 9th answer lost (the proxy closes both sides): more than a window (8) apart, so a
        // resent window cannot lose the same first answer again and again.
        let proxy = try await DroppingMLLPProxy.start(upstreamPort: daemon.port, dropEvery: 9)
        defer { Task { await proxy.stop() } }
        let result = try runSwitchboard(["replay", work + "/a.hl7", "--to", "127.0.0.1:\(proxy.port)", "--window", "8",
                                         "--resends", "10", "--report", work + "/report.json"])
        #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
        #expect(proxy.droppedAnswers > 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/report.json"))) as? [[String: Any]])
        #expect(rows.count == 60 && rows.allSatisfy { $0["ack"] as? String == "AA" })
        #expect(daemon.terminate() == 0)
        // Stored once each: the same caseload as an offline replay of the archive.
        let offline = try runSwitchboard(["replay", work + "/a.hl7", "--state", work + "/offline"])
        #expect(offline.status == 0, "\(offline.errorOutput)")
        let live = try runSwitchboard(["caseload", "hash", "--state", daemon.stateDirectory]).output
        let replayed = try runSwitchboard(["caseload", "hash", "--state", work + "/offline"]).output
        #expect(!live.isEmpty && live == replayed)
    }
}
