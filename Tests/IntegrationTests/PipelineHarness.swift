// A pipeline over a journal on a simulated disk, and helpers to run frames through it.
import Caseload
import CaseloadStore
import HL7
import Integration
import Journal
import Logging
import Synchronization
import SwitchboardTestSupport

/// The pipeline under test with its journal, on a simulated disk (optionally fault-injecting).
struct PipelineHarness {
    let pipeline: InboundPipeline
    let journal: FileJournal
    let disk: FaultInjectingStorage
    let store: InboundStore
    /// The simulated disk under the fault injector (what a restart finds).
    let base: CrashSimStorage

    static let fixedNow: Int64 = 1_795_000_000_000_000  // 2026-11-18, in microseconds

    static func make(
        rules: [FaultRule] = [], syncDelayMicroseconds: Int = 0, withCaseload: Bool = false, outbound: OutboundSettings = OutboundSettings(),
        _ tweak: (inout InboundConfiguration) -> Void = { _ in }
    ) async throws -> PipelineHarness {
        let base = CrashSimStorage()
        try base.createDirectory("/state")
        return try await make(on: base, rules: rules, syncDelayMicroseconds: syncDelayMicroseconds, withCaseload: withCaseload,
                              outbound: outbound, tweak)
    }

    /// A pipeline over an existing simulated disk (a restart: recovery, snapshot, tail).
    static func make(
        on base: CrashSimStorage, rules: [FaultRule] = [], syncDelayMicroseconds: Int = 0, withCaseload: Bool = false,
        outbound: OutboundSettings = OutboundSettings(), _ tweak: (inout InboundConfiguration) -> Void = { _ in }
    ) async throws -> PipelineHarness {
        let disk = FaultInjectingStorage(wrapping: base, rules: rules)
        disk.syncDelayMicroseconds = syncDelayMicroseconds
        let journal = try await FileJournal.open(JournalConfiguration(directory: "/state/journal"), storage: disk)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let store = try await InboundStore.open(journal: journal, logger: logger, nowMicroseconds: fixedNow)
        var configuration = InboundConfiguration()
        tweak(&configuration)
        let caseload = withCaseload ? CaseloadEngine(store: store, rules: CaseloadRules(), outbound: outbound) : nil
        let pipeline = InboundPipeline(configuration: configuration, store: store, caseload: caseload, now: { fixedNow })
        return PipelineHarness(pipeline: pipeline, journal: journal, disk: disk, store: store, base: base)
    }

    /// Closes this journal and opens the store again on the same disk, without faults.
    func restarted(withCaseload: Bool = true) async throws -> PipelineHarness {
        await journal.close()
        return try await Self.make(on: base, withCaseload: withCaseload)
    }

    /// Runs one frame through the pipeline and waits for its answer.
    func process(_ frame: [UInt8], peer: String = "127.0.0.1:5000") async -> InboundResult {
        await withCheckedContinuation { continuation in
            pipeline.process(frame, receipt: InboundReceipt(listener: "mllp", peer: peer, receivedAtMicroseconds: Self.fixedNow)) {
                continuation.resume(returning: $0)
            }
        }
    }

    func process(_ text: String, peer: String = "127.0.0.1:5000") async -> InboundResult { await process(Array(text.utf8), peer: peer) }

    /// Every inbound record in the journal, in order (outbox and action records left out).
    func records() async throws -> [InboundRecord] {
        try await journal.records(from: 1, limit: .max).filter { InboundRecordCodec.kind(of: $0.payload) == .inbound }
            .map { try InboundRecordCodec.decode($0.payload) }
    }

    /// Every outbox record in the journal, in order.
    func outboxRecords() async throws -> [OutboxRecord] {
        try await journal.records(from: 1, limit: .max).filter { InboundRecordCodec.kind(of: $0.payload) == .outbox }
            .map { try OutboxRecordCodec.decode($0.payload) }
    }
}

/// A minimal valid ADT^A01 (synthetic), with overridable header fields and body.
func adt(
    controlID: String = "CTRL-1", type: String = "ADT^A01^ADT_A01", version: String = "2.5.1", processingID: String = "P",
    time: String = "20261129083000", acceptAck: String = "", body: String = "PID|1||12345^^^HOSP^MR||DOE^JANE\rPV1|1|I|WARD1^101^A"
) -> String {
    let msh15 = acceptAck.isEmpty ? "" : "|||\(acceptAck)"
    return "MSH|^~\\&|ADT1|HOSP|SWB|CARE|\(time)||\(type)|\(controlID)|\(processingID)|\(version)\(msh15)\rEVN|A01|\(time)\r\(body)\r"
}

/// The parsed ACK of a result (ER7 only).
func parsedAck(_ result: InboundResult) throws -> HL7Message {
    try HL7Message(parsing: result.ack ?? [])
}
