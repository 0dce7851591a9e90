import MLLP
import NIOCore

/// Synthetic ADT^A01 v2.5.1 messages (MSH, EVN, PID, PV1, and an OBX for padding) for one
/// connection, prebuilt as two byte runs around MSH-10 so that each message costs two copies
/// and a few digits. Every person and number in it is invented.
struct LoadMessageTemplate {
    /// `0x0B` + MSH up to and including the `|` before MSH-10.
    private let head: [UInt8]
    /// `<run>-<connection>-`: the fixed part of MSH-10.
    let idPrefix: [UInt8]
    /// From the `|` after MSH-10 to the end, + `0x1C 0x0D`.
    private let tail: [UInt8]

    /// The largest frame this template writes (sequence numbers up to 10 digits).
    var maxFrameBytes: Int { head.count + idPrefix.count + 10 + tail.count }

    init(runID: String, connection: Int, size: Int) {
        head = [MLLPFraming.startBlock]
            + Array("MSH|^~\\&|LOADGEN|SYNTHETIC HOSPITAL|SWITCHBOARD|CARE COORD|20261129083000-0500||ADT^A01^ADT_A01|".utf8)
        idPrefix = Array("\(runID)-\(connection)-".utf8)
        var rest = "|P|2.5.1\r"
            + "EVN|A01|20261129083000-0500\r"
            + "PID|1||LOAD\(connection)^^^SYNTH^MR||SYNTHETIC^LOAD^\(connection)||19700101|U|||1 EXAMPLE STREET^^SPRINGFIELD^ZZ^00000\r"
            + "PV1|1|I|4WEST^0401^A^SYNTH||||1001^CAREGIVER^CASEY^^^DR\r"
        let natural = head.count - 1 + idPrefix.count + 6 + rest.utf8.count
        let padding = size - natural - "OBX|1|TX|LOADPAD^Load padding^LOCAL||||||||F\r".utf8.count
        if padding > 0 {
            rest += "OBX|1|TX|LOADPAD^Load padding^LOCAL||" + String(repeating: "X", count: padding) + "||||||F\r"
        }
        tail = Array(rest.utf8) + [MLLPFraming.endBlock, MLLPFraming.carriageReturn]
    }

    /// Appends the framed message with sequence number `sequence` to `buffer`.
    func write(sequence: Int, into buffer: inout ByteBuffer) {
        buffer.writeBytes(head)
        buffer.writeBytes(idPrefix)
        buffer.writeString(String(sequence))
        buffer.writeBytes(tail)
    }

    /// The control id of message `sequence`.
    func controlID(_ sequence: Int) -> String {
        String(decoding: idPrefix, as: UTF8.self) + String(sequence)
    }
}
