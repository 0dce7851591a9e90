public import HL7
public import NIOCore

extension TestMLLPServer {
    /// A responder that answers each HL7 message with a real ACK (``HL7Acknowledgment/build``):
    /// MSA-2 echoes the message's MSH-10, and `outcome` (given the control id) decides the
    /// code; anything but `.accepted` carries ERR 207 with the diagnostic "synthetic failure".
    /// A frame without an MSH line is answered AR with an empty MSA-2.
    public static func hl7ACK(
        _ outcome: @escaping @Sendable (_ controlID: String) -> HL7Acknowledgment.Outcome = { _ in .accepted }
    ) -> @Sendable (ByteBuffer) -> Reply {
        { payload in
            let header = HL7HeaderPeek.peek(Array(payload.readableBytesView))
            let decided = header.map { outcome($0.controlID) } ?? .rejected
            let errors = decided == .accepted ? [] : [
                HL7Acknowledgment.ErrorDetail(code: .applicationInternalError, diagnostic: "synthetic failure"),
            ]
            let ack = HL7Acknowledgment.build(
                for: header, outcome: decided, errors: errors, controlID: "ACK-" + (header?.controlID ?? "none"),
                timestamp: HL7Timestamp(year: 2026, month: 11, day: 29, hour: 8, minute: 30))
            return .respond(ByteBuffer(bytes: ack))
        }
    }
}
