// The caseload through the real daemon: messages in over MLLP, the caseload out through the
// admin API and the CLI, and the same caseload after a restart.
import Foundation
import SwitchboardTestSupport
import Testing

extension DaemonTests {
    @Suite("caseload through the daemon")
    struct CaseloadScenario {
        @Test("admit, book, discharge, refer: visible over HTTP and the CLI, and the same after a restart")
        func samplesBuildTheCaseload() throws {
            let daemon = try Fixture.startDaemon()
            defer { daemon.cleanUp() }
            for name in ["adt_a01.hl7", "siu_s12.hl7", "adt_a03.hl7", "ref_i12.hl7"] {
                #expect(try Fixture.ack(try Fixture.sample(name), port: daemon.port).isAccept, "\(name)")
            }
            let admin = try #require(daemon.waitForAdminPort())
            let patient = try LoopbackHTTP.get(port: admin, path: "/api/v1/patients/MRN100001")
            #expect(patient.status == 200)
            let detail = try #require(try JSONSerialization.jsonObject(with: Data(patient.body.utf8)) as? [String: Any])
            let tasks = try #require(detail["tasks"] as? [[String: Any]])
            let kinds = tasks.map { "\($0["kind"] ?? "")/\($0["status"] ?? "")" }
            #expect(kinds.contains("post-discharge-contact/open"))
            #expect(kinds.contains("follow-up-appointment/satisfied"), "\(kinds)")
            #expect(kinds.contains("initial-assessment/cancelled"), "\(kinds)")
            // The inbound REF^I12, and ours: the A03's disposition 06 refers to home health.
            let referrals = try #require(detail["referrals"] as? [[String: Any]])
            #expect(referrals.count == 2)
            #expect(referrals.contains { "\($0["direction"] ?? "")" == "outbound" && "\($0["partner"] ?? "")" == "home-health" }, "\(referrals)")
            #expect(try LoopbackHTTP.get(port: admin, path: "/api/v1/patients/NOBODY").status == 404)
            let queue = try LoopbackHTTP.get(port: admin, path: "/api/v1/tasks?coordinator=unassigned")
            #expect(queue.status == 200 && queue.body.contains("post-discharge-contact"))

            // The CLI reads the same caseload from the journal while the daemon runs.
            let cli = Fixture.run(["caseload", "patient", "MRN100001", "--state", daemon.stateDirectory, "--json"])
            #expect(cli.status == 0, "\(cli.errorOutput)")
            #expect(cli.output.contains("\"post-discharge-contact\""))
            let history = Fixture.run(["caseload", "history", "--patient", "MRN100001", "--state", daemon.stateDirectory])
            #expect(history.output.contains("MSG-A03-0001") && history.output.contains("discharged"))
            let before = Fixture.run(["caseload", "hash", "--state", daemon.stateDirectory]).output

            // A resend changes nothing; a restart rebuilds the same caseload from the journal.
            #expect(try Fixture.ack(try Fixture.sample("adt_a03.hl7"), port: daemon.port).isAccept)
            #expect(daemon.terminate() == 0)
            // A clean shutdown writes a snapshot; the restart reads it instead of every record.
            let written = try #require(daemon.errorLines(containing: "caseload snapshot written").last)
            let covered = try #require(written.split(separator: " ").first { $0.hasPrefix("snapshot.seq=") })
            #expect(covered != "snapshot.seq=0")
            try daemon.restart()
            let rebuilt = try #require(daemon.currentRunErrorLines.first { $0.contains("duplicate index and caseload rebuilt") })
            #expect(rebuilt.split(separator: " ").contains(covered) && rebuilt.contains("journal.records_scanned=0"), "\(rebuilt)")
            let after = Fixture.run(["caseload", "hash", "--state", daemon.stateDirectory]).output
            #expect(before == after && before.count == 17)
            let verified = Fixture.run(["caseload", "hash", "--verify", "--state", daemon.stateDirectory])
            #expect(verified.status == 0 && verified.output.contains("match"), "\(verified.output)\(verified.errorOutput)")
            let admin2 = try #require(daemon.waitForAdminPort())
            let again = try LoopbackHTTP.get(port: admin2, path: "/api/v1/patients/MRN100001")
            #expect(again.body == patient.body)
            #expect(daemon.terminate() == 0)
        }

        @Test("a coordinator completes the post-discharge call: journaled, in the report, kept across a restart")
        func completingATaskThroughTheAPI() throws {
            let daemon = try Fixture.startDaemon()
            defer { daemon.cleanUp() }
            for name in ["adt_a01.hl7", "adt_a03.hl7"] {
                #expect(try Fixture.ack(try Fixture.sample(name), port: daemon.port).isAccept, "\(name)")
            }
            let admin = try #require(daemon.waitForAdminPort())
            let open = try LoopbackHTTP.get(port: admin, path: "/api/v1/tasks")
            let tasks = try #require(try JSONSerialization.jsonObject(with: Data(open.body.utf8)) as? [[String: Any]])
            let contact = try #require(tasks.first { $0["kind"] as? String == "post-discharge-contact" })
            let id = try #require(contact["id"] as? String)

            // Wrong requests are answered with their reason; nothing is journaled for them.
            #expect(try LoopbackHTTP.post(port: admin, path: "/api/v1/tasks/T-999/complete", json: #"{"by":"coord-a"}"#).status == 404)
            #expect(try LoopbackHTTP.post(port: admin, path: "/api/v1/tasks/\(id)/complete", json: "not json").status == 400)
            #expect(try LoopbackHTTP.post(port: admin, path: "/api/v1/tasks/\(id)/complete", json: #"{"by":""}"#).status == 400)

            let done = try LoopbackHTTP.post(port: admin, path: "/api/v1/tasks/\(id)/complete",
                                             json: #"{"by":"coord-a","note":"called, doing well","at":"2026-12-04T15:00:00Z"}"#)
            #expect(done.status == 200 && done.body.contains("\"satisfied\"") && done.body.contains("completed by coord-a"), "\(done.body)")
            let again = try LoopbackHTTP.post(port: admin, path: "/api/v1/tasks/\(id)/complete", json: #"{"by":"coord-a"}"#)
            #expect(again.status == 409)

            // The report over the sample's dates counts the discharge (2026-12-03) as contacted in
            // time (due the end of the second business day after it).
            let report = try LoopbackHTTP.get(port: admin, path: "/api/v1/reports/summary?since=2026-11-01&until=2026-12-31")
            #expect(report.status == 200)
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(report.body.utf8)) as? [String: Any])
            let contacts = try #require(summary["dischargeContacts"] as? [String: Any])
            #expect(contacts["discharges"] as? Int == 1, "\(report.body)")
            #expect(contacts["contactedInTime"] as? Int == 1 && contacts["shareInTime"] as? Double == 1, "\(report.body)")
            #expect(try LoopbackHTTP.get(port: admin, path: "/api/v1/reports/summary?since=someday").status == 400)

            // The CLI reads the same from the journal, and the history names the action.
            let cli = Fixture.run(["caseload", "report", "--since", "2026-11-01", "--until", "2026-12-31", "--state", daemon.stateDirectory, "--json"])
            #expect(cli.status == 0 && cli.output.contains("\"discharges\" : 1"), "\(cli.output)\(cli.errorOutput)")
            let text = Fixture.run(["caseload", "report", "--since", "2026-11-01", "--until", "2026-12-31", "--state", daemon.stateDirectory])
            #expect(text.output.contains("Discharges contacted within the business-day window: 100%"), "\(text.output)")
            let history = Fixture.run(["caseload", "history", "--patient", "MRN100001", "--state", daemon.stateDirectory])
            #expect(history.output.contains("ACTION^COMPLETE-TASK") && history.output.contains("called, doing well"), "\(history.output)")

            // Across a restart (snapshot + tail) the task stays done.
            #expect(daemon.terminate() == 0)
            try daemon.restart()
            let admin2 = try #require(daemon.waitForAdminPort())
            let all = try LoopbackHTTP.get(port: admin2, path: "/api/v1/tasks?status=all")
            #expect(all.body.contains("completed by coord-a: called, doing well"))
            let verified = Fixture.run(["caseload", "hash", "--verify", "--state", daemon.stateDirectory])
            #expect(verified.status == 0, "\(verified.output)")
            #expect(daemon.terminate() == 0)
        }
    }
}
