// Connects MLLP frames to the inbound pipeline, counts them and logs one line per message.
import Integration
import Logging
import MLLP
import NIOCore

/// Answers MLLP frames through the ``InboundPipeline``. Logs routing data only (DESIGN §1.6):
/// listener, peer, type, control id, ACK code, bytes, latency, journal sequence. With
/// `log.phi: true` (an operator's explicit choice) the line also carries PID-3.
struct InboundResponder: MLLPFrameResponder {
    let pipeline: InboundPipeline
    let logger: Logger
    let logSettings: LogSettings
    let metrics: InboundMetrics

    func respond(to frame: ByteBuffer, connection: MLLPConnectionInfo, reply: @escaping @Sendable (ByteBuffer?) -> Void) {
        let started = ContinuousClock.now
        let bytes = frame.getBytes(at: frame.readerIndex, length: frame.readableBytes) ?? []
        let receipt = InboundReceipt(listener: connection.listener, peer: connection.peer, receivedAtMicroseconds: WallClock.microseconds())
        let patient = logSettings.logsPHI ? PatientIdentifierPeek.pid3(in: bytes) : nil
        pipeline.process(bytes, receipt: receipt) { [logger, metrics] result in
            reply(result.ack.map { ByteBuffer(bytes: $0) })
            let elapsed = ContinuousClock.now - started
            metrics.record(result, listener: connection.listener, elapsed: elapsed)
            log(result, connection: connection, elapsed: elapsed, patient: patient, logger: logger)
        }
    }
}

private func log(_ result: InboundResult, connection: MLLPConnectionInfo, elapsed: Duration, patient: String?, logger: Logger) {
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
    if let patient { metadata["phi.patient_id"] = "\(patient)" }
    logger.log(level: level, "message", metadata: metadata)
}
