// A frame after the stateless half of the inbound pipeline: sniffed, parsed, validated, mapped
// to its caseload command, its ACK built. Nothing here reads or changes shared state, so frames
// can be prepared on any thread, several at once; they are submitted in arrival order.
import Caseload
import CaseloadStore
import HL7

/// The result of ``InboundPipeline/prepare(_:)``: everything ``InboundPipeline/submit(_:receipt:completion:)``
/// needs to finish the frame (duplicate check, caseload decision, journal append, answer).
public struct PreparedFrame: Sendable {
    /// What the stateless half decided.
    enum Step: Sendable {
        /// An FHS/BHS batch: its messages are prepared and submitted one by one at submission.
        case batch
        /// Not an HL7 message (or not one we can read): stored in quarantine, AR.
        case quarantine(header: HL7Header?, code: HL7ErrorCode, text: String)
        /// Refused (parse or validation error): stored as rejected, AE/AR.
        case reject(header: HL7Header, rejection: Rejection, parsed: Bool)
        /// An ACK: stored, never answered.
        case acknowledgment(header: HL7Header)
        /// A valid message: next the duplicate check, then the caseload, then the journal.
        case accept(Accepted)
    }

    /// A valid message and what its acceptance needs.
    struct Accepted: Sendable {
        var header: HL7Header
        var message: HL7Message
        var key: DuplicateKey
        /// The AA/CA it gets once stored.
        var ack: [UInt8]
        /// Whether the sender asked for that ACK (MSH-15).
        var wanted: Bool
        /// The caseload command it maps to (nil inside: no caseload effect), or why it cannot be
        /// applied; nil when the pipeline has no caseload.
        var command: Result<CaseloadCommand?, CaseloadError>?
    }

    let frame: [UInt8]
    let facts: Facts
    let step: Step
}
