// DESIGN §3, row by row, through the pipeline and a journal on a simulated disk.
import Caseload
import CaseloadStore
import HL7
import HL7XML
import Integration
import Journal
import SwitchboardTestSupport
import SystemPackage
import Testing

@Suite("Inbound contract (DESIGN §3)")
struct InboundContractTests {
    @Test func storedAndAppliedIsAAOnlyOnceDurable() async throws {
        let harness = try await PipelineHarness.make()
        let result = await harness.process(adt())
        let ack = try parsedAck(result)
        #expect(result.ackCode == "AA")
        #expect(ack.text(at: "MSA-1") == "AA")
        #expect(ack.text(at: "MSA-2") == "CTRL-1")
        #expect(ack.text(at: "MSH-3") == "SWB")  // mirrors the sender's MSH-5
        #expect(ack.text(at: "MSH-5") == "ADT1")
        #expect(ack.text(at: "MSH-10") != "CTRL-1")
        #expect(ack.text(at: "MSH-7") == "20261118110640.000+0000")  // the injected clock, UTC, to the millisecond
        #expect(result.disposition == .accepted)
        #expect(result.sequence == 1)
        #expect(harness.journal.lastDurableSequence >= 1)
        let records = try await harness.records()
        #expect(records.count == 1)
        #expect(records[0].raw == Array(adt().utf8))
        #expect(records[0].ack == result.ack)
        #expect(records[0].messageType == "ADT^A01")
        #expect(records[0].peer == "127.0.0.1:5000")
    }

    @Test func enhancedModeAnswersCA() async throws {
        let harness = try await PipelineHarness.make()
        let result = await harness.process(adt(acceptAck: "AL"))
        #expect(result.ackCode == "CA")
    }

    @Test func acceptAckNeverIsStoredButNotAnswered() async throws {
        let harness = try await PipelineHarness.make()
        let result = await harness.process(adt(acceptAck: "NE"))
        #expect(result.ack == nil)
        #expect(result.disposition == .accepted)
        let resend = await harness.process(adt(acceptAck: "NE"))
        #expect(resend.ack == nil && resend.duplicate)
        #expect(try await harness.records().count == 1)
    }

    @Test func duplicateGetsTheOriginalAckAndNoRecord() async throws {
        let harness = try await PipelineHarness.make()
        let first = await harness.process(adt())
        let second = await harness.process(adt(), peer: "127.0.0.1:6000")
        #expect(second.ack == first.ack)
        #expect(second.duplicate)
        #expect(second.disposition == nil)
        #expect(try await harness.records().count == 1)
    }

    @Test func sameKeyOtherContentIsAE205() async throws {
        let harness = try await PipelineHarness.make()
        _ = await harness.process(adt())
        let result = await harness.process(adt(body: "PID|1||99999^^^HOSP^MR||ROE^RICHARD\rPV1|1|O"))
        let ack = try parsedAck(result)
        #expect(ack.text(at: "MSA-1") == "AE")
        #expect(ack.text(at: "ERR-3") == "205")
        let records = try await harness.records()
        #expect(records.count == 2)
        #expect(records[1].disposition == .rejected && records[1].duplicateKeyConflict)
    }

    @Test(arguments: [
        (adt(body: "PID|1||\rPV1|1|I"), "101", "PID^1^3"),
        (adt(body: "PV1|1|I"), "101", "PID^1"),
        (adt(time: ""), "101", "MSH^1^7"),
        (adt(time: "2026-11-29"), "102", "MSH^1^7"),
        (adt(body: "PID|1||12345^^^HOSP^MR||DOE^JANE||19801340\rPV1|1|I"), "102", "PID^1^7"),
    ])
    func contentErrorsAreAEWithLocation(message: String, code: String, location: String) async throws {
        let harness = try await PipelineHarness.make()
        let result = await harness.process(message)
        let ack = try parsedAck(result)
        #expect(ack.text(at: "MSA-1") == "AE")
        #expect(ack.text(at: "ERR-3") == code)
        #expect(ack["ERR-2"].rawText == location)
        #expect(result.disposition == .rejected)
        #expect(try await harness.records().first?.disposition == .rejected)
    }

    @Test(arguments: [
        (adt(type: "XYZ^Q99"), "200"),
        (adt(type: "ADT^A99"), "201"),
        (adt(processingID: "X"), "202"),
        (adt(version: "9.9"), "203"),
    ])
    func unsupportedIsARAndJournaledAsRejected(message: String, code: String) async throws {
        let harness = try await PipelineHarness.make()
        let result = await harness.process(message)
        let ack = try parsedAck(result)
        #expect(ack.text(at: "MSA-1") == "AR")
        #expect(ack.text(at: "ERR-3") == code)
        #expect(result.disposition == .rejected)
    }

    @Test func rejectedMessageMayBeCorrectedUnderTheSameControlID() async throws {
        let harness = try await PipelineHarness.make()
        #expect(await harness.process(adt(body: "PV1|1|I")).ackCode == "AE")
        #expect(await harness.process(adt()).ackCode == "AA")
    }

    @Test func notHL7IsQuarantinedWithAR100AndCut() async throws {
        let harness = try await PipelineHarness.make { $0.quarantineMaxBytes = 16 }
        let junk = Array(repeating: UInt8(ascii: "Z"), count: 100)
        let result = await harness.process(junk)
        let ack = try parsedAck(result)
        #expect(ack.text(at: "MSA-1") == "AR")
        #expect((ack.text(at: "MSA-2") ?? "").isEmpty)
        #expect(ack.text(at: "ERR-3") == "100")
        let records = try await harness.records()
        #expect(records.first?.disposition == .quarantined)
        #expect(records.first?.raw.count == 16)
        #expect(records.first?.rawLength == 100)
    }

    @Test func unparseableBodyKeepsTheSalvagedControlID() async throws {
        let harness = try await PipelineHarness.make()
        let result = await harness.process("MSH|^~\\&|A|B|C|D|20261129||ADT^A01|SALVAGED|P|2.5.1\rPI|1\r")
        let ack = try parsedAck(result)
        #expect(ack.text(at: "MSA-1") == "AR")
        #expect(ack.text(at: "MSA-2") == "SALVAGED")
        #expect(ack.text(at: "ERR-3") == "100")
    }

    @Test func aBatchIsAnsweredMessageByMessageInABatchAck() async throws {
        let harness = try await PipelineHarness.make()
        let bad = "MSH|^~&|ADT1|HOSP|SWB|CARE|20261129083000||ADT^A01|CTRL-3|P|2.5.1\rPID|1||1^^^H^MR\r"
        let batch = "FHS|^~\\&|ADT1|HOSP|SWB|CARE\rBHS|^~\\&|ADT1|HOSP|SWB|CARE|||||BATCH-7\r" + adt(controlID: "CTRL-1")
            + adt(controlID: "CTRL-2") + bad + "BTS|3\rFTS|1\r"
        let result = await harness.process(batch)
        let text = String(decoding: result.ack ?? [], as: UTF8.self)
        let lines = text.split(separator: "\r").map(String.init)
        #expect(lines.first?.hasPrefix("FHS|^~\\&|SWB|CARE|ADT1|HOSP|") == true)
        #expect(lines[1].hasPrefix("BHS|^~\\&|SWB|CARE|ADT1|HOSP|"))
        #expect(lines[1].hasSuffix("|BATCH-7"))  // BHS-12 refers to the received BHS-11
        #expect(lines.filter { $0.hasPrefix("MSA|AA|CTRL-1") }.count == 1)
        #expect(lines.filter { $0.hasPrefix("MSA|AA|CTRL-2") }.count == 1)
        #expect(lines.filter { $0.hasPrefix("MSA|AR|CTRL-3") }.count == 1)
        #expect(lines.suffix(2) == ["BTS|3", "FTS|1"])
        let records = try await harness.records()
        #expect(records.map(\.controlID) == ["CTRL-1", "CTRL-2", "CTRL-3"])
        #expect(records.map(\.disposition) == [.accepted, .accepted, .rejected])
        // Resending the batch: the stored messages are duplicates, nothing new but the bad one.
        let again = await harness.process(batch)
        #expect(String(decoding: again.ack ?? [], as: UTF8.self).contains("MSA|AA|CTRL-1"))
        #expect(try await harness.records().count == 4)
    }

    @Test(arguments: [
        "BHS|^~\\&|A|B\rPID|1\rBTS|0\r",
        "BHS|^~\\&|A|B\r" + adt() + "BHS|^~\\&|A|B\r" + adt(controlID: "X2") + "BTS|1\rBTS|1\r",
        "BHS|^~\\&|A|B\rBTS|0\r",
    ])
    func aMalformedBatchIsRefusedWhole(batch: String) async throws {
        let harness = try await PipelineHarness.make()
        let result = await harness.process(batch)
        #expect(result.ackCode == "AR")
        #expect(try parsedAck(result).text(at: "ERR-3") == "100")
        #expect(try await harness.records().allSatisfy { $0.disposition != .accepted })
    }

    @Test func anAckIsNeverAnswered() async throws {
        let harness = try await PipelineHarness.make()
        let ack = "MSH|^~\\&|X|Y|A|B|20261129||ACK^A01|ACK1|P|2.5.1\rMSA|AA|CTRL-9\r"
        let result = await harness.process(ack)
        #expect(result.ack == nil)
        #expect(result.disposition == .ignored)
        let bad = await harness.process("MSH|^~\\&|X|Y|A|B|20261129||ACK^A01|ACK2|P|2.5.1\r")
        #expect(bad.ackCode == "AR")
    }

    @Test func xmlMessageGetsAnXMLAck() async throws {
        let harness = try await PipelineHarness.make()
        let xml = HL7XMLWriter.document(try HL7Message(parsing: adt()))
        let result = await harness.process(xml)
        let text = String(decoding: result.ack ?? [], as: UTF8.self)
        #expect(text.contains("<MSA.1>AA</MSA.1>"))
        #expect(text.contains("<MSA.2>CTRL-1</MSA.2>"))
        #expect(try await harness.records().first?.encoding == .xml)
        let resend = await harness.process(xml)
        #expect(resend.duplicate && resend.ack == result.ack)
    }

    @Test func brokenXMLIsQuarantinedWithAnXMLAck() async throws {
        let harness = try await PipelineHarness.make()
        let result = await harness.process("<ADT_A01 xmlns=\"urn:hl7-org:v2xml\"><MSH>")
        let text = String(decoding: result.ack ?? [], as: UTF8.self)
        #expect(text.hasPrefix("<?xml"))
        #expect(text.contains("<MSA.1>AR</MSA.1>"))
        #expect(try await harness.records().first?.disposition == .quarantined)
    }

    @Test func journalFailureIsAR207AndNothingIsStored() async throws {
        let harness = try await PipelineHarness.make(rules: [FaultRule(.sync, nth: 1, errno: .ioError, pathContains: "segment-")])
        let result = await harness.process(adt())
        let ack = try parsedAck(result)
        #expect(ack.text(at: "MSA-1") == "AR")
        #expect(ack.text(at: "ERR-3") == "207")
        #expect(result.disposition == nil)
        #expect(result.storageFailure != nil)
        // Fail-stop: every later message gets AR/207 too, never AA (TESTPLAN I5).
        let later = await harness.process(adt(controlID: "CTRL-2"))
        #expect(later.ackCode == "AR")
    }

    @Test func diskFullIsAR207AndTheResendIsStoredOnceAfterwards() async throws {
        let harness = try await PipelineHarness.make(rules: [FaultRule(.write, nth: 1, errno: .noSpace, pathContains: "segment-")])
        let full = await harness.process(adt())
        #expect(full.ackCode == "AR")
        let again = await harness.process(adt())
        #expect(again.ackCode == "AA")
        #expect(!again.duplicate)
        #expect(try await harness.records().count == 1)
    }

    @Test func overloadIsAR207() async throws {
        let harness = try await PipelineHarness.make { $0.maxInFlight = 0 }
        let result = await harness.process(adt())
        #expect(result.ackCode == "AR")
        #expect(try parsedAck(result).text(at: "ERR-3") == "207")
        #expect(try await harness.records().isEmpty)
    }

    @Test func overloadRefusesBeforeTheCaseloadDecides() async throws {
        let harness = try await PipelineHarness.make(withCaseload: true) { $0.maxInFlight = 0 }
        let result = await harness.process(adt())
        #expect(result.ackCode == "AR")
        // Nothing was decided: the live caseload never ran ahead of the journal.
        #expect(harness.pipeline.caseload?.read { $0.eventCount } == 0)
        #expect(try await harness.records().isEmpty)
    }

    @Test func aFailedAppendWithEventsRebuildsTheCaseloadFromTheJournal() async throws {
        let harness = try await PipelineHarness.make(
            rules: [FaultRule(.write, nth: 1, errno: .noSpace, pathContains: "segment-")], withCaseload: true)
        #expect(await harness.process(adt()).ackCode == "AR")
        // The failed append's events are in the live state but not in the journal: until the
        // caseload is rebuilt from the journal, messages get AR 207 (no wall-clock deadline:
        // the rebuild is awaited, however loaded the machine).
        await (try #require(harness.pipeline.caseload)).waitUntilAvailable()
        // Then the resend is stored once.
        let answer = await harness.process(adt())
        #expect(answer.ackCode == "AA")
        let records = try await harness.records()
        #expect(records.count == 1)
        var replayed = CaseloadState()
        for (index, record) in records.enumerated() { replayed.apply(record, sequence: UInt64(index + 1)) }
        #expect(harness.pipeline.caseload?.read { $0.canonicalHash } == replayed.canonicalHash)
        #expect(replayed.patients.count == 1)
    }

    @Test func concurrentCopiesAreStoredOnceAndAllGetTheSameAck() async throws {
        let harness = try await PipelineHarness.make(syncDelayMicroseconds: 20_000)
        let results = await withTaskGroup(of: InboundResult.self) { group in
            for n in 0..<8 { group.addTask { await harness.process(adt(), peer: "127.0.0.1:\(7000 + n)") } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map { $0.ack ?? [] }).count == 1)
        #expect(results.filter { !$0.duplicate }.count == 1)
        #expect(try await harness.records().count == 1)
    }
}
