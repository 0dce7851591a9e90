// Batches (FHS/BHS … BTS/FTS) in one frame: each message on the single-message path, one
// batch acknowledgement back.
import CaseloadStore
import HL7

extension InboundPipeline {
    /// A batch in one frame: each message goes through ``processMessage`` (its own record, its
    /// own duplicate check, its own ACK); the answer is a batch of the ACKs, in order, once the
    /// last one is known. A malformed envelope is refused as a whole (AR 100), nothing stored.
    func processBatch(_ frame: [UInt8], receipt: InboundReceipt, completion: @escaping @Sendable (InboundResult) -> Void) {
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

    func startsWithBatchHeader(_ frame: [UInt8]) -> Bool {
        var i = 0
        if frame.count >= 3, frame[0] == 0xEF, frame[1] == 0xBB, frame[2] == 0xBF { i = 3 }
        while i < frame.count, frame[i] == 0x0D || frame[i] == 0x0A || frame[i] == 0x20 { i += 1 }
        guard frame.count - i >= 3 else { return false }
        return (frame[i] == 0x46 || frame[i] == 0x42) && frame[i + 1] == 0x48 && frame[i + 2] == 0x53  // FHS / BHS
    }
}
