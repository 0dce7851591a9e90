// TESTPLAN T10: outbound outage. The partner (`switchboard bench partner`, a process) is down,
// then flaky (drops the connection after reading 10% of frames, AR 5%, a wrong MSA-2 2%), then
// healthy; the daemon is restarted once during the outage. Every referral must arrive, in order,
// with the same MSH-10 on every attempt, a wrong-MSA-2 ACK must never count, and the outbox
// must drain. Quick variant here (down 60 s); SWITCHBOARD_SOAK=1 for the 5-minute outage.
import Foundation
import SwitchboardDaemon
import SwitchboardTestSupport
import Testing

@Suite("T10 outbound outage")
struct OutboxOutageTests {
    static let soak = ProcessInfo.processInfo.environment["SWITCHBOARD_SOAK"] == "1"

    /// An A03 discharging patient `n` to home health (PV1-36 06): one referral each.
    static func discharge(_ n: Int) -> [UInt8] {
        var pv1 = Array(repeating: "", count: 37)
        pv1[0] = "PV1"; pv1[1] = "1"; pv1[2] = "I"; pv1[3] = "4WEST^0412^B"; pv1[19] = "T10V\(n)"; pv1[36] = "06"
        let text = "MSH|^~\\&|ADT1|GHH|SWITCHBOARD|CARE|20261203141000||ADT^A03^ADT_A03|T10-\(n)|P|2.5.1\r"
            + "EVN|A03|20261203141000\rPID|1||T10P\(n)^^^GHH^MR||SYNTHETIC^PATIENT\(n)\r" + pv1.joined(separator: "|") + "\r"
        return Array(text.utf8)
    }

    static func send(_ range: Range<Int>, to port: Int) throws {
        let connection = try LoopbackMLLPConnection(port: port, timeout: 30)
        defer { connection.close() }
        for n in range {
            try connection.sendFrame(discharge(n))
            let answer = try #require(try connection.readFrame(timeout: 30), "no ACK for T10-\(n)")
            #expect(AckSummary(answer)?.isAccept == true, "T10-\(n)")
        }
    }

    static func outbox(_ daemon: DaemonProcess) -> OutboxViews.ListView? {
        guard let admin = daemon.waitForAdminPort(), let response = try? LoopbackHTTP.get(port: admin, path: "/api/v1/outbox"),
              response.status == 200 else { return nil }
        return try? JSONDecoder().decode(OutboxViews.ListView.self, from: Data(response.body.utf8))
    }

    @Test func everyReferralArrivesInOrderWithItsMSH10AndTheOutboxDrains() throws {
        let downSeconds: Double = ProcessInfo.processInfo.environment["SWITCHBOARD_T10_DOWN_SECONDS"].flatMap(Double.init) ?? (Self.soak ? 300 : 60)
        let referrals = Self.soak ? 5_000 : 300
        let work = try TemporaryDirectory.make(prefix: "switchboard-t10")
        defer { TemporaryDirectory.remove(work) }
        let reserved = ClosedPort()  // the partner's port: connections refused while it is down
        let config = work + "/switchboard.yaml"
        try """
        destinations:
          home-health:
            address: 127.0.0.1:\(reserved.port)
            initial_backoff_ms: 100
            max_backoff_ms: 1000
            ack_timeout_ms: 2000
            connect_timeout_ms: 1000
            max_attempts: 1000
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let started = monotonicSeconds()
        let daemon = try Fixture.startDaemon(["--config", config])
        defer { daemon.cleanUp() }

        // Down: half the discharges, a restart, the other half.
        try Self.send(0..<referrals / 2, to: daemon.port)
        #expect(daemon.terminate() == 0)
        try daemon.restart()
        try Self.send(referrals / 2..<referrals, to: daemon.port)
        var maxDepth = 0
        while monotonicSeconds() - started < downSeconds {
            maxDepth = max(maxDepth, Self.outbox(daemon)?.destinations.first?.depth ?? 0)
            sleepSeconds(0.5)
        }
        #expect(maxDepth == referrals, "everything waits while the partner is down")
        #expect(Self.outbox(daemon)?.entries.allSatisfy { $0.status == "pending" } == true, "an outage dead-letters nothing")

        // Flaky, then healthy.
        let record = work + "/received.jsonl"
        reserved.release()
        let partnerArguments = ["bench", "partner", "--listen", "127.0.0.1:\(reserved.port)", "--record", record]
        let flaky = try BackgroundProcess.start(Fixture.executable, partnerArguments + ["--drop-percent", "10", "--ar-percent", "5", "--wrong-id-percent", "2", "--seed", "10"],
                                                directory: work, name: "partner-flaky")
        #expect(flaky.waitForErrorOutput(containing: "partner listening", timeout: 30) != nil, "\(ProcFiles.read(flaky.stderrPath) ?? "no stderr")")
        let flakyStarted = monotonicSeconds()
        while monotonicSeconds() - flakyStarted < (Self.soak ? 120 : 20), (Self.outbox(daemon)?.destinations.first?.depth ?? 0) > referrals / 2 {
            sleepSeconds(0.2)
        }
        flaky.terminate()
        let healthy = try BackgroundProcess.start(Fixture.executable, partnerArguments, directory: work, name: "partner-healthy")
        defer { healthy.terminate() }
        #expect(healthy.waitForErrorOutput(containing: "partner listening", timeout: 30) != nil, "\(ProcFiles.read(healthy.stderrPath) ?? "no stderr")")
        let drainStarted = monotonicSeconds()
        var depth = referrals
        while depth > 0, monotonicSeconds() - drainStarted < (Self.soak ? 600 : 120) {
            depth = Self.outbox(daemon)?.destinations.first?.depth ?? depth
            if depth > 0 { sleepSeconds(0.2) }
        }
        let drainSeconds = monotonicSeconds() - drainStarted
        #expect(depth == 0, "the outbox drains")
        healthy.terminate()

        // What the partner saw.
        let lines = (ProcFiles.read(record) ?? "").split(separator: "\n")
        let receipts = lines.compactMap { try? JSONDecoder().decode(PartnerStubReceipt.self, from: Data($0.utf8)) }
        #expect(receipts.count == lines.count)
        var idOfNumber: [Int: String] = [:]
        var orderViolations = 0, idChanges = 0, wrongIDAdvances = 0
        var previous = 0, previousAnswer = ""
        for receipt in receipts {
            // MSH-10 is SB<number>-<time>: the number is the entry's place in the outbox.
            let number = Int(receipt.controlID.dropFirst(2).prefix { $0 != "-" }) ?? -1
            if let known = idOfNumber[number], known != receipt.controlID { idChanges += 1 }
            idOfNumber[number] = receipt.controlID
            if number != previous && number != previous + 1 { orderViolations += 1 }
            if number == previous + 1, previous > 0, previousAnswer != "AA" { wrongIDAdvances += 1 }
            previous = number
            previousAnswer = receipt.answer
        }
        let distinct = Set(receipts.map(\.controlID)).count
        let retries = receipts.count - distinct
        print("""
            {"test":"T10","variant":"\(Self.soak ? "soak" : "quick")","down_s":\(Int(downSeconds)),"enqueued":\(referrals),\
            "delivered":\(receipts.filter { $0.answer == "AA" }.count),"order_violations":\(orderViolations),\
            "distinct_ids_at_peer":\(distinct),"msh10_changes":\(idChanges),"advanced_without_aa":\(wrongIDAdvances),\
            "retries":\(retries),"dropped":\(receipts.filter { $0.answer == "dropped" }.count),\
            "ar":\(receipts.filter { $0.answer == "AR" }.count),"wrong_id":\(receipts.filter { $0.answer == "wrong-id" }.count),\
            "max_outbox_depth":\(maxDepth),"drain_s":\(String(format: "%.1f", drainSeconds))}
            """)
        #expect(distinct == referrals)
        #expect(Set(idOfNumber.keys) == Set(1...referrals))
        #expect(orderViolations == 0 && idChanges == 0 && wrongIDAdvances == 0)
        // Every referral was acknowledged (a second AA only if the partner was stopped between
        // answering and the answer reaching the daemon).
        #expect(Set(receipts.filter { $0.answer == "AA" }.map(\.controlID)).count == referrals)
        #expect(receipts.contains { $0.answer == "wrong-id" } && receipts.contains { $0.answer == "dropped" }, "the faults happened")

        // The journal agrees: read-only, after a clean stop, nothing waits.
        #expect(daemon.terminate() == 0)
        let listed = Fixture.run(["outbox", "list", "--state", daemon.stateDirectory, "--json"])
        let view = try JSONDecoder().decode(OutboxViews.ListView.self, from: Data(listed.output.utf8))
        #expect(view.destinations.first?.depth == 0 && view.entries.isEmpty)
    }
}
