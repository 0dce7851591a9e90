// Builds the ACK bytes the pipeline sends: new control ids, the time, ER7 or XML.
import HL7
import HL7XML
import Synchronization

/// Makes ACKs for one daemon run. ACK MSH-10 values are `SB<run>-<n>`: `<run>` is the start
/// time in base 36 (unique across restarts) and `<n>` a counter, so every ACK id is new.
final class AckFactory: Sendable {
    private let prefix: String
    private let counter = Atomic<UInt64>(0)
    private let receivingApplication: String

    init(startedAtMicroseconds: Int64, receivingApplication: String) {
        prefix = "SB" + String(UInt64(max(0, startedAtMicroseconds)) / 1_000, radix: 36).uppercased() + "-"
        self.receivingApplication = receivingApplication
    }

    /// A new control id (for ACKs and batch acknowledgements).
    func nextControlID() -> String {
        prefix + String(counter.add(1, ordering: .relaxed).newValue)
    }

    /// An ACK for `header` (or for nothing salvaged), in the frame's encoding.
    func make(
        for header: HL7Header?, outcome: HL7Acknowledgment.Outcome, errors: [HL7Acknowledgment.ErrorDetail],
        encoding: FrameEncoding, nowMicroseconds: Int64
    ) -> [UInt8] {
        let id = nextControlID()
        var header = header
        if var known = header, known.receivingApplication.isEmpty {
            // Our ACK's MSH-3 mirrors the sender's MSH-5: name ourselves when it was left empty.
            known.receivingApplication = receivingApplication
            known.rawReceivingApplication = Array(receivingApplication.utf8)
            header = known
        }
        let er7 = HL7Acknowledgment.build(
            for: header, outcome: outcome, errors: errors, controlID: id,
            timestamp: CivilTime.timestamp(microseconds: nowMicroseconds))
        guard encoding == .xml else { return er7 }
        // An XML message is answered in XML (DESIGN §3): the same ACK through the v2.xml writer.
        guard let message = try? HL7Message(parsing: er7) else { return er7 }
        return HL7XMLWriter.document(message)
    }
}

/// How a frame was encoded on the wire.
enum FrameEncoding: Sendable {
    case er7, xml
}
