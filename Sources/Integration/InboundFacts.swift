// The routing facts of a frame (no patient data) and the MSA-1 reader.
import HL7

/// Routing facts gathered along the way (no patient data).
struct Facts: Sendable {
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
