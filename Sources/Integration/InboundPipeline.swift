// The inbound pipeline (DESIGN §3): sniff → header peek → parse → validate → dedupe →
// one journal append (raw bytes, receipt, outcome) → ACK once durable.
import Caseload
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
    let store: InboundStore
    let validator: MessageValidator
    let acks: AckFactory
    let now: @Sendable () -> Int64
    let inFlight = Atomic<Int>(0)
    /// The caseload accepted messages update (nil: messages are journaled with no domain effect).
    public let caseload: CaseloadEngine?

    /// - Parameters:
    ///   - now: the wall clock in microseconds since the Unix epoch (injected for tests).
    public init(configuration: InboundConfiguration, store: InboundStore, caseload: CaseloadEngine? = nil,
                now: @escaping @Sendable () -> Int64) {
        self.configuration = configuration
        self.store = store
        self.caseload = caseload
        self.validator = MessageValidator(configuration: configuration)
        self.now = now
        self.acks = AckFactory(startedAtMicroseconds: now(), receivingApplication: configuration.receivingApplication)
    }

    /// Appends whose fsync has not completed yet.
    public var appendsInFlight: Int { inFlight.load(ordering: .relaxed) }

    /// Processes one frame; `completion` is called exactly once, on this thread (duplicates,
    /// overload) or on the journal thread (after the fsync). It must hand over quickly.
    public func process(_ frame: [UInt8], receipt: InboundReceipt, completion: @escaping @Sendable (InboundResult) -> Void) {
        submit(prepare(frame), receipt: receipt, completion: completion)
    }

    func processMessage(_ frame: [UInt8], receipt: InboundReceipt, completion: @escaping @Sendable (InboundResult) -> Void) {
        submit(prepareMessage(frame), receipt: receipt, completion: completion)
    }

    /// The stateless half of ``process(_:receipt:completion:)``: sniff, parse, validate, map to
    /// the caseload command, build the ACK. Reads no shared state, so it may run on any thread,
    /// for several frames at once; ``submit(_:receipt:completion:)`` must then take the frames
    /// in arrival order.
    public func prepare(_ frame: [UInt8]) -> PreparedFrame {
        if startsWithBatchHeader(frame) {
            return PreparedFrame(frame: frame, facts: Facts(bytes: frame.count, hash: 0), step: .batch)
        }
        return prepareMessage(frame)
    }

    func prepareMessage(_ frame: [UInt8]) -> PreparedFrame {
        var facts = Facts(bytes: frame.count, hash: ContentHash.hash(frame))
        if HL7XMLReader.looksLikeXML(frame) {
            facts.encoding = .xml
            let er7: [UInt8]
            do {
                er7 = try HL7XMLReader.er7(frame, options: configuration.xmlOptions)
            } catch {
                return PreparedFrame(frame: frame, facts: facts, step: .quarantine(
                    header: nil, code: xmlErrorCode(error), text: "HL7 v2.xml: \(error.code): \(error.message)"))
            }
            // The document mapped to ER7: from here on both encodings share one path.
            let header = HL7HeaderPeek.peek(er7)
            if let header { facts.adopt(header) }
            do {
                let message = try HL7Message(parsing: er7, options: configuration.xmlOptions.er7)
                return prepareParsed(message, header: header, frame: frame, facts: facts)
            } catch {
                guard let header else {
                    return PreparedFrame(frame: frame, facts: facts, step: .quarantine(
                        header: nil, code: error.hl7ErrorCode, text: "HL7 v2.xml: \(error.code): \(error.descriptionWithoutOffset)"))
                }
                return PreparedFrame(frame: frame, facts: facts, step: .reject(
                    header: header, rejection: .rejected(error.hl7ErrorCode, nil, "HL7 v2.xml: \(error.code): \(error.descriptionWithoutOffset)"),
                    parsed: false))
            }
        }
        let header = HL7HeaderPeek.peek(frame)
        if let header { facts.adopt(header) }
        guard let header else {
            let what = frame.allSatisfy { $0 == 0x20 || $0 == 0x0D || $0 == 0x0A || $0 == 0x09 }
                ? "the frame is empty" : "no MSH segment: not an HL7 v2 message"
            return PreparedFrame(frame: frame, facts: facts, step: .quarantine(header: nil, code: .segmentSequenceError, text: what))
        }
        let message: HL7Message
        do {
            message = try HL7Message(parsing: frame, options: configuration.parseOptions)
            try message.validateCharacterEncoding()
        } catch {
            let location = error.segmentIndex.map { "segment \($0 + 1)" } ?? "byte \(error.byteOffset)"
            return PreparedFrame(frame: frame, facts: facts, step: .reject(
                header: header, rejection: .rejected(error.hl7ErrorCode, nil, "\(error.code) at \(location): \(error.descriptionWithoutOffset)"),
                parsed: false))
        }
        return prepareParsed(message, header: header, frame: frame, facts: facts)
    }

    /// - Parameter peeked: the header the peek found; the parsed message's own header is built
    ///   only when the peek found none (it reads the same MSH).
    private func prepareParsed(_ message: HL7Message, header peeked: HL7Header?, frame: [UInt8], facts: Facts) -> PreparedFrame {
        var facts = facts
        let header = peeked ?? message.header
        if peeked == nil { facts.adopt(header) }
        if header.isAcknowledgment {
            // Never answer an ACK with an ACK (loops). One without MSA is malformed: say so once.
            if message.segment("MSA") == nil {
                return PreparedFrame(frame: frame, facts: facts, step: .reject(
                    header: header, rejection: .rejected(.requiredFieldMissing, "MSA", "an ACK without an MSA segment"), parsed: true))
            }
            return PreparedFrame(frame: frame, facts: facts, step: .acknowledgment(header: header))
        }
        if let rejection = validator.validate(message, header: header) {
            return PreparedFrame(frame: frame, facts: facts, step: .reject(header: header, rejection: rejection, parsed: true))
        }
        let key = DuplicateKey(sendingApplication: facts.sendingApplication, sendingFacility: facts.sendingFacility,
                               controlID: facts.controlID)
        let ack = acks.make(for: header, outcome: .accepted, errors: [], encoding: facts.encoding, nowMicroseconds: now())
        let command = caseload.map { caseload in
            Result { () throws(CaseloadError) in try caseload.mapping.command(for: message, header: header) }
        }
        return PreparedFrame(frame: frame, facts: facts, step: .accept(.init(
            header: header, message: message, key: key, ack: ack, wanted: header.wantsAcceptAcknowledgment(for: .accepted),
            command: command)))
    }

    /// The stateful half of ``process(_:receipt:completion:)``: the duplicate check, the caseload
    /// decision and the journal append, then the answer. Frames must be submitted in the order
    /// they arrived (the caseload decides in submission order); `completion` is called exactly
    /// once, as for `process`.
    public func submit(_ prepared: PreparedFrame, receipt: InboundReceipt, completion: @escaping @Sendable (InboundResult) -> Void) {
        let frame = prepared.frame
        var facts = prepared.facts
        switch prepared.step {
        case .batch:
            processBatch(frame, receipt: receipt, completion: completion)
        case .quarantine(let header, let code, let text):
            quarantine(frame, header: header, facts: facts, receipt: receipt, code: code, text: text, completion: completion)
        case .reject(let header, let rejection, let parsed):
            reject(frame, header: header, facts: facts, receipt: receipt, rejection: rejection, parsed: parsed, completion: completion)
        case .acknowledgment(let header):
            store(frame, header: header, facts: facts, receipt: receipt, disposition: .ignored, ack: nil,
                  ackCode: "", errors: [], key: nil, completion: completion)
        case .accept(let accepted):
            let header = accepted.header, key = accepted.key
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
                accept(accepted, frame: frame, facts: facts, receipt: receipt, completion: completion)
            }
        }
    }

    /// A new message (its duplicate key claimed): the caseload decides, then the append.
    private func accept(
        _ accepted: PreparedFrame.Accepted, frame: [UInt8], facts: Facts, receipt: InboundReceipt,
        completion: @escaping @Sendable (InboundResult) -> Void
    ) {
        let header = accepted.header, key = accepted.key, ack = accepted.ack, wanted = accepted.wanted
        guard let caseload, let command = accepted.command else {
            return store(frame, header: header, facts: facts, receipt: receipt, disposition: .accepted, ack: wanted ? ack : nil,
                         ackCode: ackCode(of: ack), errors: [], key: key, completion: completion)
        }
        // The journal slot is reserved before deciding: once a decision is applied to the
        // live caseload its append must be attempted, or the caseload runs ahead of the
        // journal (and has to be rebuilt). Overload refuses before anything is decided.
        guard inFlight.wrappingAdd(1, ordering: .relaxed).oldValue < configuration.maxInFlight else {
            inFlight.subtract(1, ordering: .relaxed)
            store.duplicates.abandon(key)
            return answerNotStored(header: header, facts: facts, reason: "overloaded: \(configuration.maxInFlight) appends in flight",
                                   completion: completion)
        }
        caseload.decide(command, message: accepted.message, nowMicroseconds: now()) { outcome in
            switch outcome {
            case .decided(let decision, let outbound):
                store(frame, header: header, facts: facts, receipt: receipt, disposition: .accepted, ack: wanted ? ack : nil,
                      ackCode: ackCode(of: ack), errors: [], key: key, caseload: decision, outbound: outbound, slotReserved: true,
                      completion: completion)
            case .refused(let error):
                inFlight.subtract(1, ordering: .relaxed)
                store.duplicates.abandon(key)
                let code = [HL7ErrorCode.segmentSequenceError, .requiredFieldMissing, .dataTypeError]
                    .first { $0.code == error.code } ?? .requiredFieldMissing
                reject(frame, header: header, facts: facts, receipt: receipt,
                       rejection: .error(code, error.location, error.message), completion: completion)
            case .unavailable(let why):
                inFlight.subtract(1, ordering: .relaxed)
                store.duplicates.abandon(key)
                answerNotStored(header: header, facts: facts, reason: why, completion: completion)
            }
        }
    }

    private func xmlErrorCode(_ error: HL7XMLError) -> HL7ErrorCode {
        if let parse = error.parseError { return parse.hl7ErrorCode }
        switch error.code {
        case .unexpectedElement, .invalidValue: return .dataTypeError
        default: return .segmentSequenceError
        }
    }

}
