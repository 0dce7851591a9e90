// How a frame ends: quarantined, rejected or stored, and the answer once the journal has
// spoken (or AR/207 when it could not store).
import Caseload
import CaseloadStore
import HL7
import Journal
import Outbox
import Synchronization

extension InboundPipeline {
    func quarantine(
        _ frame: [UInt8], header: HL7Header?, facts: Facts, receipt: InboundReceipt, code: HL7ErrorCode, text: String,
        completion: @escaping @Sendable (InboundResult) -> Void
    ) {
        let errors = [HL7Acknowledgment.ErrorDetail(code: code, diagnostic: text)]
        let ack = acks.make(for: header, outcome: .rejected, errors: errors, encoding: facts.encoding, nowMicroseconds: now())
        store(Array(frame.prefix(configuration.quarantineMaxBytes)), header: header, facts: facts, receipt: receipt,
              disposition: .quarantined, ack: ack, ackCode: ackCode(of: ack), errors: errors, key: nil, completion: completion)
    }

    /// - Parameter parsed: whether the message parsed. MSH-15 (accept acknowledgement type) is
    ///   honoured only then: the header of a message that did not parse is not trusted to ask
    ///   for silence, and a sender must learn that its frame was refused.
    func reject(
        _ frame: [UInt8], header: HL7Header, facts: Facts, receipt: InboundReceipt, rejection: Rejection,
        parsed: Bool = true, completion: @escaping @Sendable (InboundResult) -> Void
    ) {
        let ack = acks.make(for: header, outcome: rejection.outcome, errors: rejection.errors, encoding: facts.encoding,
                            nowMicroseconds: now())
        let wanted = !parsed || header.wantsAcceptAcknowledgment(for: rejection.outcome)
        store(frame, header: header, facts: facts, receipt: receipt, disposition: .rejected, ack: wanted ? ack : nil,
              ackCode: ackCode(of: ack), errors: rejection.errors, key: nil, completion: completion)
    }

    /// The one journal append, then the answer. On storage failure (or overload) the answer is
    /// AR/CR with ERR 207 and nothing is stored; a claimed duplicate key is released.
    func store(
        _ raw: [UInt8], header: HL7Header?, facts: Facts, receipt: InboundReceipt,
        disposition: InboundRecord.Disposition, ack: [UInt8]?, ackCode: String,
        errors: [HL7Acknowledgment.ErrorDetail], key: DuplicateKey?, caseload decision: CaseloadDecision? = nil,
        outbound: [OutboxEntry] = [], slotReserved: Bool = false, completion: @escaping @Sendable (InboundResult) -> Void
    ) {
        let record = InboundRecord(
            receivedAtMicroseconds: receipt.receivedAtMicroseconds, listener: receipt.listener, peer: receipt.peer,
            disposition: disposition, encoding: facts.encoding == .xml ? .xml : (facts.sendingApplication.isEmpty && header == nil ? .unknown : .er7),
            sendingApplication: facts.sendingApplication, sendingFacility: facts.sendingFacility,
            controlID: facts.controlID, messageType: facts.messageType, ackCode: ack == nil ? "" : ackCode,
            duplicateKeyConflict: facts.duplicateKeyConflict, contentHash: facts.hash,
            errors: errors.map { .init(code: UInt16(clamping: $0.code.code), location: $0.location.map(describe) ?? "", text: $0.diagnostic ?? "") },
            ack: ack ?? [], rawLength: facts.bytes, raw: raw, caseload: decision, outbound: outbound)
        // Everything the answer needs, in one object: the completion below captures one
        // reference instead of copying the header's many strings into its context.
        let pending = PendingAnswer(
            header: header, facts: facts, key: key, ack: ack, ackCode: ackCode, disposition: disposition,
            errorCodes: errors.map(\.code.code), receivedAt: receipt.receivedAtMicroseconds, completion: completion)
        // A caseload decision comes with its slot reserved (it was taken before deciding).
        let admitted = slotReserved || inFlight.wrappingAdd(1, ordering: .relaxed).oldValue < configuration.maxInFlight
        guard admitted else {
            inFlight.subtract(1, ordering: .relaxed)
            return storageFailed(pending, reason: "overloaded: \(configuration.maxInFlight) appends in flight")
        }
        let controlID = facts.controlID, messageType = facts.messageType
        store.append(record) { [self] result in
            self.inFlight.subtract(1, ordering: .relaxed)
            switch result {
            case .success(let sequence):
                if let decision {
                    caseload?.committed(decision, outbound: outbound, sequence: sequence, controlID: controlID, messageType: messageType)
                }
                if let key = pending.key {
                    store.duplicates.commit(key, ack: pending.ack ?? [], sequence: sequence, receivedAtMicroseconds: pending.receivedAt)
                }
                var result = pending.facts.result(ack: pending.ack, ackCode: pending.ackCode)
                result.disposition = pending.disposition
                result.sequence = sequence
                result.errorCodes = pending.errorCodes
                pending.completion(result)
            case .failure(let error):
                if decision != nil { caseload?.failed() }
                storageFailed(pending, reason: "journal \(error.code)")
            }
        }
    }

    /// Nothing was stored: AR/CR + ERR 207, and the duplicate claim is released.
    func storageFailed(_ pending: PendingAnswer, reason: String) {
        if let key = pending.key { store.duplicates.abandon(key) }
        answerNotStored(header: pending.header, facts: pending.facts, reason: reason, completion: pending.completion)
    }

    /// AR/CR + ERR 207 (`message not stored: REASON; resend later`).
    func answerNotStored(header: HL7Header?, facts: Facts, reason: String, completion: @Sendable (InboundResult) -> Void) {
        let failure = acks.make(
            for: header, outcome: .rejected,
            errors: [.init(code: .applicationInternalError, diagnostic: "message not stored: \(reason); resend later")],
            encoding: facts.encoding, nowMicroseconds: now())
        completion(facts.result(ack: failure, ackCode: ackCode(of: failure), storageFailure: reason))
    }
}

/// A message waiting for its journal append: what its answer needs.
final class PendingAnswer: Sendable {
    let header: HL7Header?
    let facts: Facts
    let key: DuplicateKey?
    let ack: [UInt8]?
    let ackCode: String
    let disposition: InboundRecord.Disposition
    let errorCodes: [Int]
    let receivedAt: Int64
    let completion: @Sendable (InboundResult) -> Void

    init(header: HL7Header?, facts: Facts, key: DuplicateKey?, ack: [UInt8]?, ackCode: String,
         disposition: InboundRecord.Disposition, errorCodes: [Int], receivedAt: Int64,
         completion: @escaping @Sendable (InboundResult) -> Void) {
        self.header = header
        self.facts = facts
        self.key = key
        self.ack = ack
        self.ackCode = ackCode
        self.disposition = disposition
        self.errorCodes = errorCodes
        self.receivedAt = receivedAt
        self.completion = completion
    }
}

func describe(_ location: HL7Acknowledgment.Location) -> String {
    var text = location.segmentID
    if location.sequence > 1 { text += "[\(location.sequence)]" }
    if let field = location.field { text += "-\(field)" }
    if let component = location.component { text += ".\(component)" }
    return text
}
