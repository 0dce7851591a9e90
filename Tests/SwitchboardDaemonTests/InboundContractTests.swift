// DESIGN §3 through the real daemon: ACKs, duplicates, restarts, pipelining, the table's rows.
import SwitchboardTestSupport
import Testing

extension DaemonTests {
    @Suite("inbound contract (DESIGN §3)")
    struct InboundContract {
        @Test("sample: CA with MSA-2 = MSH-10; resend: the same ACK bytes, one journal record, also after a restart; conflicting copy: CE 205; 50 pipelined frames: 50 ACKs in order")
        func sampleLifecycle() throws {
            let daemon = try Fixture.startDaemon()
            defer { daemon.cleanUp() }
            let message = try Fixture.sample("adt_a01.hl7")

            let first = try #require(try Fixture.exchange(message, port: daemon.port))
            let ack = try #require(AckSummary(first))
            // MSH-15 is AL: enhanced mode, so the accept acknowledgement is CA.
            #expect(ack.code == "CA" || ack.code == "AA")
            #expect(ack.acknowledgedControlID == "MSG-A01-0001")
            #expect(ack.errorCodes.isEmpty)
            #expect(ack.controlID != "MSG-A01-0001" && !ack.controlID.isEmpty, "the ACK's MSH-10 is a new id")

            // A resend (new connection, as a sender that lost the ACK would): the original ACK.
            let resent = try #require(try Fixture.exchange(message, port: daemon.port))
            #expect(resent == first, "duplicate answered with the original ACK bytes")
            // The log line follows the answer: wait for it.
            let duplicateLine = daemon.waitForErrorLine(containing: "duplicate=true", timeout: 30)
            #expect(duplicateLine?.contains("hl7.control_id=MSG-A01-0001") == true, "duplicate not logged as such")

            #expect(daemon.terminate() == 0)
            #expect(Fixture.journalRecordCount(state: daemon.stateDirectory) == 1, "the duplicate is counted, not journaled")

            // The duplicate index survives a restart.
            try daemon.restart()
            let afterRestart = try #require(try Fixture.exchange(message, port: daemon.port))
            #expect(afterRestart == first, "after a restart the resend still gets the original ACK")

            // Same MSH-10, different content: CE with ERR 205.
            let changed = message.replacing(Array("DG1|1||I50.9".utf8), with: Array("DG1|1||I50.1".utf8))
            #expect(changed != message)
            let conflict = try Fixture.ack(changed, port: daemon.port)
            #expect(conflict.code == "CE" || conflict.code == "AE")
            #expect(conflict.errorCodes == ["205"])
            #expect(conflict.acknowledgedControlID == "MSG-A01-0001")

            // Pipelining: 50 frames written before any ACK is read.
            let connection = try LoopbackMLLPConnection(port: daemon.port, timeout: 10)
            defer { connection.close() }
            let ids = (0..<50).map { "PIPE-\($0)" }
            var wire: [UInt8] = []
            for id in ids { wire += LoopbackMLLPConnection.frame(try Fixture.adtA01(controlID: id)) }
            try connection.sendRaw(wire)
            var acks: [AckSummary] = []
            while acks.count < ids.count, let frame = try connection.readFrame(timeout: 20) {
                acks.append(try #require(AckSummary(frame)))
            }
            #expect(acks.map(\.acknowledgedControlID) == ids, "ACKs come back in the order the frames were sent")
            #expect(acks.allSatisfy { $0.isAccept })
            #expect(daemon.terminate() == 0)
            #expect(Fixture.journalRecordCount(state: daemon.stateDirectory) == 52)
        }

        /// One row of DESIGN §3's table, made from samples/adt_a01.hl7.
        enum Row: String, CaseIterable, Sendable {
            case requiredFieldMissing, requiredSegmentMissing, badDataType
            case unsupportedType, unsupportedEvent, unsupportedVersion, unsupportedProcessingID, notHL7

            var controlID: String { "ROW-" + rawValue }

            /// MSA-1 values allowed (original / enhanced) and the ERR-3 code.
            var expected: (codes: Set<String>, error: String) {
                switch self {
                case .requiredFieldMissing, .requiredSegmentMissing: return (["AE", "CE"], "101")
                case .badDataType: return (["AE", "CE"], "102")
                case .unsupportedType: return (["AR", "CR"], "200")
                case .unsupportedEvent: return (["AR", "CR"], "201")
                case .unsupportedVersion: return (["AR", "CR"], "203")
                case .unsupportedProcessingID: return (["AR", "CR"], "202")
                case .notHL7: return (["AR"], "100")
                }
            }

            func payload() throws -> [UInt8] {
                let message = try Fixture.adtA01(controlID: controlID)
                func edit(_ old: String, _ new: String) throws -> [UInt8] {
                    let edited = message.replacing(Array(old.utf8), with: Array(new.utf8))
                    try #require(edited != message, "sample edit \(old) → \(new) did not apply")
                    return edited
                }
                switch self {
                case .requiredFieldMissing:
                    return try edit("PID|1||MRN100001^^^GHH&2.16.840.1.113883.3.999&ISO^MR~900000001^^^SSA^SS||", "PID|1||||")
                case .requiredSegmentMissing:
                    let segments = message.split(separator: 0x0D).filter { !$0.starts(with: Array("PID|".utf8)) }
                    return Array(segments.joined(separator: [0x0D])) + [0x0D]
                case .badDataType: return try edit("||19700101|F|", "||1970-01-01|F|")
                case .unsupportedType: return try edit("|ADT^A01^ADT_A01|", "|ORU^R01^ORU_R01|")
                case .unsupportedEvent: return try edit("|ADT^A01^ADT_A01|", "|ADT^A99^ADT_A01|")
                case .unsupportedVersion: return try edit("|P|2.5.1|", "|P|9.9|")
                case .unsupportedProcessingID: return try edit("|P|2.5.1|", "|X|2.5.1|")
                case .notHL7: return Array("this is not an HL7 message, just text\r".utf8)
                }
            }
        }

        @Test("DESIGN §3 rejection rows: MSA-1 and ERR-3", arguments: Row.allCases)
        func rejectionRow(_ row: Row) throws {
            let daemon = try Fixture.startDaemon()
            defer { daemon.cleanUp() }
            let connection = try LoopbackMLLPConnection(port: daemon.port, timeout: 10)
            defer { connection.close() }
            try connection.sendFrame(try row.payload())
            let event = connection.nextEvent(timeout: 10)
            guard case .frame(let reply) = event else {
                Issue.record("\(row): no ACK (\(event)); daemon running: \(daemon.isRunning) \(Fixture.crashReport(daemon))")
                return
            }
            let ack = try #require(AckSummary(reply))
            #expect(row.expected.codes.contains(ack.code), "\(row): MSA-1 \(ack.code)")
            #expect(ack.errorCodes == [row.expected.error], "\(row): ERR-3 \(ack.errorCodes)")
            #expect(ack.acknowledgedControlID == (row == .notHL7 ? "" : row.controlID), "MSA-2 echoes MSH-10 (nothing to salvage from non-HL7)")
            // Rejected, not dropped: the daemon keeps serving.
            #expect(try Fixture.ack(try Fixture.adtA01(controlID: "AFTER-" + row.rawValue), port: daemon.port).isAccept)
            #expect(daemon.terminate() == 0)
            #expect(Fixture.journalRecordCount(state: daemon.stateDirectory) == 2, "\(row) journaled (rejected or quarantined)")
        }

        @Test("an ACK sent to the listener gets no reply; the connection stays usable")
        func ackIsNotAnswered() throws {
            let daemon = try Fixture.startDaemon()
            defer { daemon.cleanUp() }
            let connection = try LoopbackMLLPConnection(port: daemon.port, timeout: 10)
            defer { connection.close() }
            let incomingAck = "MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|SWITCHBOARD|CARE COORD|20261129083000-0500||ACK^A01^ACK|ACK-0001|P|2.5.1\rMSA|AA|SB-0001\r"
            try connection.sendFrame(Array(incomingAck.utf8))
            try connection.sendFrame(try Fixture.adtA01(controlID: "AFTER-ACK"))
            // Answers go out in order: the first frame back must already be the next message's.
            let reply = try #require(try connection.readFrame(timeout: 10), "connection unusable after an ACK")
            let ack = try #require(AckSummary(reply))
            #expect(ack.acknowledgedControlID == "AFTER-ACK", "an ACK was answered (ACK loop)")
            #expect(ack.isAccept)
            #expect(connection.nextEvent(timeout: 0.3) == .timeout)
        }

        @Test("an XML message is answered with an XML ACK")
        func xmlMessageGetsXMLAck() throws {
            let er7 = try Fixture.adtA01(controlID: "XML-0001")
            let converted = Fixture.run(["convert", "--to", "xml", "-"], input: er7)
            try #require(converted.status == 0, "convert --to xml failed: \(converted.errorOutput)")
            #expect(converted.output.contains("<ADT_A01"))
            let daemon = try Fixture.startDaemon()
            defer { daemon.cleanUp() }
            let reply = try #require(try Fixture.exchange(converted.stdout, port: daemon.port))
            let text = String(decoding: reply, as: UTF8.self)
            #expect(text.hasPrefix("<?xml") || text.hasPrefix("<ACK"), "answer is not XML: \(text.prefix(80))")
            let ack = try #require(AckSummary(reply))
            #expect(ack.isXML)
            #expect(ack.isAccept)
            #expect(ack.acknowledgedControlID == "XML-0001")
        }
    }
}
