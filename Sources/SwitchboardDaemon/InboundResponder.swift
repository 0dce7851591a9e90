// Connects MLLP frames to the inbound pipeline and logs one line per message.
import Integration
import Logging
import MLLP
import NIOCore

/// Answers MLLP frames through the ``InboundPipeline``. Logs routing data only (DESIGN §1.6):
/// listener, peer, type, control id, ACK code, bytes, latency, journal sequence.
struct InboundResponder: MLLPFrameResponder {
    let pipeline: InboundPipeline
    let logger: Logger

    func respond(to frame: ByteBuffer, connection: MLLPConnectionInfo, reply: @escaping @Sendable (ByteBuffer?) -> Void) {
        let started = ContinuousClock.now
        let bytes = frame.getBytes(at: frame.readerIndex, length: frame.readableBytes) ?? []
        let receipt = InboundReceipt(listener: connection.listener, peer: connection.peer, receivedAtMicroseconds: WallClock.microseconds())
        pipeline.process(bytes, receipt: receipt) { [logger] result in
            reply(result.ack.map { ByteBuffer(bytes: $0) })
            log(result, connection: connection, elapsed: ContinuousClock.now - started, logger: logger)
        }
    }
}

private func log(_ result: InboundResult, connection: MLLPConnectionInfo, elapsed: Duration, logger: Logger) {
    let level: Logger.Level = result.storageFailure != nil ? .error : (result.ackCode == "AA" || result.ackCode == "CA" || result.ackCode.isEmpty ? .info : .notice)
    guard logger.logLevel <= level else { return }
    let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
    var metadata: Logger.Metadata = [
        "mllp.listener": "\(connection.listener)", "mllp.peer": "\(connection.peer)",
        "hl7.type": "\(result.messageType)", "hl7.control_id": "\(result.controlID)",
        "hl7.ack": "\(result.ack == nil ? "none" : result.ackCode)", "bytes": "\(result.bytes)",
        "latency_us": "\(micros)",
    ]
    if let sequence = result.sequence { metadata["journal.seq"] = "\(sequence)" }
    if let disposition = result.disposition { metadata["disposition"] = "\(disposition)" }
    if result.duplicate { metadata["duplicate"] = "true" }
    if !result.errorCodes.isEmpty { metadata["hl7.err"] = "\(result.errorCodes.map(String.init).joined(separator: ","))" }
    if let failure = result.storageFailure { metadata["failure"] = "\(failure)" }
    logger.log(level: level, "message", metadata: metadata)
}
