// The inbound pipeline (DESIGN §3): sniff → header peek → parse → validate → dedupe →
// one journal append (raw bytes, receipt, outcome) → ACK once durable.
public import CaseloadStore
import HL7
import HL7XML
import Journal
import Synchronization

/// Turns received frames into journal records and ACKs.
///
/// `process` runs the CPU part synchronously on the caller's thread (an event loop) and
/// completes once the record is durable; no ACK other than AR/207 (nothing stored) leaves before
/// the journal confirmed the fdatasync. Exact duplicates of stored messages are answered at once
/// with their original ACK.
public final class InboundPipeline: Sendable {
    public let configuration: InboundConfiguration
    private let store: InboundStore
    private let validator: MessageValidator
    private let acks: AckFactory
    private let now: @Sendable () -> Int64
    private let inFlight = Atomic<Int>(0)

    /// - Parameters:
    ///   - now: the wall clock in microseconds since the Unix epoch (injected for tests).
    public init(configuration: InboundConfiguration, store: InboundStore, now: @escaping @Sendable () -> Int64) {
        self.configuration = configuration
        self.store = store
        self.validator = MessageValidator(configuration: configuration)
        self.now = now
        self.acks = AckFactory(startedAtMicroseconds: now(), receivingApplication: configuration.receivingApplication)
    }

    /// Appends whose fsync has not completed yet.
    public var appendsInFlight: Int { inFlight.load(ordering: .relaxed) }

    /// Processes one frame; `completion` is called exactly once, on this thread (duplicates,
    /// overload) or on the journal thread (after the fsync). It must hand over quickly.
    public func process(_ frame: [UInt8], receipt: InboundReceipt, completion: @escaping @Sendable (InboundResult) -> Void) {
        if startsWithBatchHeader(frame) {
            return processBatch(frame, receipt: receipt, completion: completion)
        }
        processMessage(frame, receipt: receipt, completion: completion)
    }

    /// A batch in one frame: each message goes through ``processMessage`` (its own record, its
    /// own duplicate check, its own ACK); the answer is a batch of the ACKs, in order, once the
    /// last one is known. A malformed envelope is refused as a whole (AR 100), nothing stored.
    private func processBatch(_ frame: [UInt8], receipt: InboundReceipt, completion: @escaping @Sendable (InboundResult) -> Void) {
        let envelope: BatchEnvelope
        do {
            envelope = try BatchEnvelope.split(frame)
        } catch {
            var facts = Facts(bytes: frame.count, hash: ContentHash.hash(frame))
            let header = HL7HeaderPeek.peek(frame)
            if let header { facts.adopt(header) }
            guard let header else {
                return quarantine(frame, header: nil, facts: facts, receipt: receipt, code: .segmentSequenceError,
                                  text: "malformed batch: \(error.reason)", completion: completion)
            }
            return reject(frame, header: header, facts: facts, receipt: receipt,
                          rejection: .rejected(.segmentSequenceError, nil, "malformed batch: \(error.reason)"),
                          parsed: false, completion: completion)
        }
        let collector = BatchCollector(count: envelope.messages.count) { [acks, now] results in
            let answered = results.compactMap(\.ack)
            let stamp = CivilTime.timestamp(microseconds: now()).description
            let ack = envelope.acknowledgment(acks: answered, controlID: acks.nextControlID(), timestamp: stamp)
            let codes = results.map(\.ackCode)
            let worst = codes.first { $0 == "AR" || $0 == "CR" } ?? codes.first { $0 == "AE" || $0 == "CE" } ?? codes.first ?? ""
            completion(InboundResult(
                ack: ack, ackCode: worst,
                disposition: results.allSatisfy({ $0.disposition == .accepted }) ? .accepted : results.last?.disposition,
                sequence: results.compactMap(\.sequence).max(), duplicate: results.allSatisfy(\.duplicate),
                messageType: "BATCH(\(results.count))", controlID: results.first?.controlID ?? "",
                errorCodes: results.flatMap(\.errorCodes), bytes: frame.count,
                storageFailure: results.compactMap(\.storageFailure).first))
        }
        for (index, message) in envelope.messages.enumerated() {
            processMessage(message, receipt: receipt) { collector.set(index, $0) }
        }
    }

    private func processMessage(_ frame: [UInt8], receipt: InboundReceipt, completion: @escaping @Sendable (InboundResult) -> Void) {
        var facts = Facts(bytes: frame.count, hash: ContentHash.hash(frame))
        if HL7XMLReader.looksLikeXML(frame) {
            facts.encoding = .xml
            let er7: [UInt8]
            do {
                er7 = try HL7XMLReader.er7(frame, options: configuration.xmlOptions)
            } catch {
                return quarantine(frame, header: nil, facts: facts, receipt: receipt, code: xmlErrorCode(error),
                                  text: "HL7 v2.xml: \(error.code): \(error.message)", completion: completion)
            }
            // The document mapped to ER7: from here on both encodings share one path.
            let header = HL7HeaderPeek.peek(er7)
            if let header { facts.adopt(header) }
            do {
                let message = try HL7Message(parsing: er7, options: configuration.xmlOptions.er7)
                return handleParsed(message, header: header, frame: frame, facts: facts, receipt: receipt, completion: completion)
            } catch {
                guard let header else {
                    return quarantine(frame, header: nil, facts: facts, receipt: receipt, code: error.hl7ErrorCode,
                                      text: "HL7 v2.xml: \(error.code): \(error.descriptionWithoutOffset)", completion: completion)
                }
                return reject(frame, header: header, facts: facts, receipt: receipt,
                              rejection: .rejected(error.hl7ErrorCode, nil, "HL7 v2.xml: \(error.code): \(error.descriptionWithoutOffset)"),
                              parsed: false, completion: completion)
            }
        }
        let header = HL7HeaderPeek.peek(frame)
        if let header { facts.adopt(header) }
        guard let header else {
            let what = frame.allSatisfy { $0 == 0x20 || $0 == 0x0D || $0 == 0x0A || $0 == 0x09 }
                ? "the frame is empty" : "no MSH segment: not an HL7 v2 message"
            return quarantine(frame, header: nil, facts: facts, receipt: receipt, code: .segmentSequenceError, text: what,
                              completion: completion)
        }
        let message: HL7Message
        do {
            message = try HL7Message(parsing: frame, options: configuration.parseOptions)
            try message.validateCharacterEncoding()
        } catch {
            let location = error.segmentIndex.map { "segment \($0 + 1)" } ?? "byte \(error.byteOffset)"
            return reject(frame, header: header, facts: facts, receipt: receipt,
                          rejection: .rejected(error.hl7ErrorCode, nil, "\(error.code) at \(location): \(error.descriptionWithoutOffset)"),
                          parsed: false, completion: completion)
        }
        handleParsed(message, header: header, frame: frame, facts: facts, receipt: receipt, completion: completion)
    }

    /// - Parameter peeked: the header the peek found; the parsed message's own header is built
    ///   only when the peek found none (it reads the same MSH).
    private func handleParsed(
        _ message: HL7Message, header peeked: HL7Header?, frame: [UInt8], facts: Facts, receipt: InboundReceipt,
        completion: @escaping @Sendable (InboundResult) -> Void
    ) {
        var facts = facts
        let header = peeked ?? message.header
        if peeked == nil { facts.adopt(header) }
        if header.isAcknowledgment {
            // Never answer an ACK with an ACK (loops). One without MSA is malformed: say so once.
            if message.segment("MSA") == nil {
                return reject(frame, header: header, facts: facts, receipt: receipt,
                              rejection: .rejected(.requiredFieldMissing, "MSA", "an ACK without an MSA segment"),
                              completion: completion)
            }
            return store(frame, header: header, facts: facts, receipt: receipt, disposition: .ignored, ack: nil,
                         ackCode: "", errors: [], key: nil, completion: completion)
        }
        if let rejection = validator.validate(message, header: header) {
            return reject(frame, header: header, facts: facts, receipt: receipt, rejection: rejection, completion: completion)
        }
        let key = DuplicateKey(sendingApplication: facts.sendingApplication, sendingFacility: facts.sendingFacility,
                               controlID: facts.controlID)
        let waitingFacts = facts
        let claim = store.duplicates.claim(key, hash: facts.hash) { [acks, now] resolution in
            switch resolution {
            case .stored(let ack):
                completion(waitingFacts.result(ack: ack.isEmpty ? nil : ack, ackCode: ackCode(of: ack), duplicate: true))
            case .failed:
                let ack = acks.make(for: header, outcome: .rejected,
                                    errors: [.init(code: .applicationInternalError, diagnostic: "the original copy could not be stored; resend")],
                                    encoding: waitingFacts.encoding, nowMicroseconds: now())
                completion(waitingFacts.result(ack: ack, ackCode: ackCode(of: ack), storageFailure: "original copy not stored"))
            }
        }
        switch claim {
        case .duplicate(let ack, _):
            completion(facts.result(ack: ack.isEmpty ? nil : ack, ackCode: ackCode(of: ack), duplicate: true))
        case .waiting:
            break  // the waiter above answers once the first copy is durable
        case .conflict(let original):
            facts.duplicateKeyConflict = true
            let where_ = original.map { " (journal record \($0))" } ?? " (still being stored)"
            reject(frame, header: header, facts: facts, receipt: receipt,
                   rejection: .error(.duplicateKeyIdentifier, "MSH-10",
                                     "MSH-10 was already used for a different message from this sender\(where_)"),
                   completion: completion)
        case .new:
            let wanted = header.wantsAcceptAcknowledgment(for: .accepted)
            let ack = acks.make(for: header, outcome: .accepted, errors: [], encoding: facts.encoding, nowMicroseconds: now())
            store(frame, header: header, facts: facts, receipt: receipt, disposition: .accepted, ack: wanted ? ack : nil,
                  ackCode: ackCode(of: ack), errors: [], key: key, completion: completion)
        }
    }

    // MARK: - Outcomes

    private func quarantine(
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
    private func reject(
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
    private func store(
        _ raw: [UInt8], header: HL7Header?, facts: Facts, receipt: InboundReceipt,
        disposition: InboundRecord.Disposition, ack: [UInt8]?, ackCode: String,
        errors: [HL7Acknowledgment.ErrorDetail], key: DuplicateKey?,
        completion: @escaping @Sendable (InboundResult) -> Void
    ) {
        let record = InboundRecord(
            receivedAtMicroseconds: receipt.receivedAtMicroseconds, listener: receipt.listener, peer: receipt.peer,
            disposition: disposition, encoding: facts.encoding == .xml ? .xml : (facts.sendingApplication.isEmpty && header == nil ? .unknown : .er7),
            sendingApplication: facts.sendingApplication, sendingFacility: facts.sendingFacility,
            controlID: facts.controlID, messageType: facts.messageType, ackCode: ack == nil ? "" : ackCode,
            duplicateKeyConflict: facts.duplicateKeyConflict, contentHash: facts.hash,
            errors: errors.map { .init(code: UInt16(clamping: $0.code.code), location: $0.location.map(describe) ?? "", text: $0.diagnostic ?? "") },
            ack: ack ?? [], rawLength: facts.bytes, raw: raw)
        // Everything the answer needs, in one object: the completion below captures one
        // reference instead of copying the header's many strings into its context.
        let pending = PendingAnswer(
            header: header, facts: facts, key: key, ack: ack, ackCode: ackCode, disposition: disposition,
            errorCodes: errors.map(\.code.code), receivedAt: receipt.receivedAtMicroseconds, completion: completion)
        let admitted = inFlight.wrappingAdd(1, ordering: .relaxed).oldValue < configuration.maxInFlight
        guard admitted else {
            inFlight.subtract(1, ordering: .relaxed)
            return storageFailed(pending, reason: "overloaded: \(configuration.maxInFlight) appends in flight")
        }
        store.append(record) { [self] result in
            self.inFlight.subtract(1, ordering: .relaxed)
            switch result {
            case .success(let sequence):
                if let key = pending.key {
                    store.duplicates.commit(key, ack: pending.ack ?? [], sequence: sequence, receivedAtMicroseconds: pending.receivedAt)
                }
                var result = pending.facts.result(ack: pending.ack, ackCode: pending.ackCode)
                result.disposition = pending.disposition
                result.sequence = sequence
                result.errorCodes = pending.errorCodes
                pending.completion(result)
            case .failure(let error):
                storageFailed(pending, reason: "journal \(error.code)")
            }
        }
    }

    /// Nothing was stored: AR/CR + ERR 207, and the duplicate claim is released.
    private func storageFailed(_ pending: PendingAnswer, reason: String) {
        if let key = pending.key { store.duplicates.abandon(key) }
        let failure = acks.make(
            for: pending.header, outcome: .rejected,
            errors: [.init(code: .applicationInternalError, diagnostic: "message not stored: \(reason); resend later")],
            encoding: pending.facts.encoding, nowMicroseconds: now())
        pending.completion(pending.facts.result(ack: failure, ackCode: ackCode(of: failure), storageFailure: reason))
    }

    private func startsWithBatchHeader(_ frame: [UInt8]) -> Bool {
        var i = 0
        if frame.count >= 3, frame[0] == 0xEF, frame[1] == 0xBB, frame[2] == 0xBF { i = 3 }
        while i < frame.count, frame[i] == 0x0D || frame[i] == 0x0A || frame[i] == 0x20 { i += 1 }
        guard frame.count - i >= 3 else { return false }
        return (frame[i] == 0x46 || frame[i] == 0x42) && frame[i + 1] == 0x48 && frame[i + 2] == 0x53  // FHS / BHS
    }

    private func xmlErrorCode(_ error: HL7XMLError) -> HL7ErrorCode {
        if let parse = error.parseError { return parse.hl7ErrorCode }
        switch error.code {
        case .unexpectedElement, .invalidValue: return .dataTypeError
        default: return .segmentSequenceError
        }
    }

}

/// A message waiting for its journal append: what its answer needs.
private final class PendingAnswer: Sendable {
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

/// Routing facts gathered along the way (no patient data).
private struct Facts: Sendable {
    var bytes: Int
    var hash: UInt64
    var encoding: FrameEncoding = .er7
    var sendingApplication = ""
    var sendingFacility = ""
    var controlID = ""
    var messageType = ""
    var duplicateKeyConflict = false

    init(bytes: Int, hash: UInt64) {
        self.bytes = bytes
        self.hash = hash
    }

    mutating func adopt(_ header: HL7Header) {
        sendingApplication = String(decoding: header.rawSendingApplication, as: UTF8.self)
        sendingFacility = String(decoding: header.rawSendingFacility, as: UTF8.self)
        controlID = String(decoding: header.rawControlID, as: UTF8.self)
        messageType = header.triggerEvent.isEmpty ? header.messageCode : header.messageCode + "^" + header.triggerEvent
    }

    func result(ack: [UInt8]?, ackCode: String, duplicate: Bool = false, storageFailure: String? = nil) -> InboundResult {
        InboundResult(ack: ack, ackCode: ackCode, disposition: nil, sequence: nil, duplicate: duplicate,
                      messageType: messageType, controlID: controlID, errorCodes: [], bytes: bytes,
                      storageFailure: storageFailure)
    }
}

private func describe(_ location: HL7Acknowledgment.Location) -> String {
    var text = location.segmentID
    if location.sequence > 1 { text += "[\(location.sequence)]" }
    if let field = location.field { text += "-\(field)" }
    if let component = location.component { text += ".\(component)" }
    return text
}

/// MSA-1 of an ACK (ER7 or XML), read without a full parse: the two bytes after `MSA` and
/// its field separator at a segment start, or after `<MSA.1>`. A plain byte loop: this runs
/// for every duplicate answered.
func ackCode(of ack: [UInt8]) -> String {
    ack.withUnsafeBufferPointer { bytes -> String in
        let count = bytes.count
        var i = 0
        while i + 6 < count {
            if bytes[i] == 0x4D, bytes[i + 1] == 0x53, bytes[i + 2] == 0x41 {  // "MSA"
                let atSegmentStart = i == 0 || bytes[i - 1] == 0x0D || bytes[i - 1] == 0x0A
                if atSegmentStart, bytes[i + 3] != 0x2E {
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[(i + 4)..<(i + 6)]), as: UTF8.self)
                }
                // XML: "<MSA.1>AA<"
                if i > 0, bytes[i - 1] == 0x3C, i + 9 < count, bytes[i + 3] == 0x2E, bytes[i + 4] == 0x31, bytes[i + 5] == 0x3E {
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[(i + 6)..<(i + 8)]), as: UTF8.self)
                }
            }
            i += 1
        }
        return ""
    }
}
