// HL7 batches in one MLLP frame (FHS/BHS … BTS/FTS, HL7 v2 §2.10.3): the envelope is checked
// here, and the messages are cut out by line so that each is parsed with its own MSH-2 and
// answered on its own (one bad message does not sink the others).

/// The messages and envelope of a batch frame.
struct BatchEnvelope: Sendable {
    /// Each message's bytes (its MSH line up to the next MSH or envelope line), CR-terminated.
    var messages: [[UInt8]]
    /// The FHS line, when present.
    var fileHeader: [UInt8]?
    /// The BHS line, when present.
    var batchHeader: [UInt8]?

    /// Why a frame is not a well-formed batch (answered AR 100 as a whole).
    struct Malformed: Error, Sendable {
        var reason: String
    }

    /// Cuts a frame that starts with FHS or BHS into its envelope and messages. Rules: FHS only
    /// first; BHS first or after FHS or after a BTS; no second BHS before a BTS; BTS closes an
    /// open BHS; FTS only last; every other segment follows an MSH.
    static func split(_ frame: [UInt8]) throws(Malformed) -> BatchEnvelope {
        var result = BatchEnvelope(messages: [])
        var current: [UInt8]?
        var batchOpen = false
        var batchesSeen = 0
        var fileClosed = false
        func finishMessage() {
            if let message = current { result.messages.append(message) }
            current = nil
        }
        var lineStart = 0
        var index = 0
        if frame.count >= 3, frame[0] == 0xEF, frame[1] == 0xBB, frame[2] == 0xBF { lineStart = 3; index = 3 }
        var lines: [Range<Int>] = []
        while index <= frame.count {
            if index == frame.count || frame[index] == 0x0D || frame[index] == 0x0A {
                if index > lineStart { lines.append(lineStart..<index) }
                lineStart = index + 1
            }
            index += 1
        }
        for range in lines {
            let line = frame[range]
            let id = line.count >= 3 ? String(decoding: line.prefix(3), as: UTF8.self) : ""
            if fileClosed { throw Malformed(reason: "segment \(id.isEmpty ? "?" : id) after FTS") }
            switch id {
            case "FHS":
                guard result.fileHeader == nil, batchesSeen == 0, current == nil, result.messages.isEmpty else {
                    throw Malformed(reason: "FHS is not the first segment")
                }
                result.fileHeader = Array(line)
            case "BHS":
                guard !batchOpen else { throw Malformed(reason: "a second BHS before the first batch's BTS") }
                finishMessage()
                guard result.messages.isEmpty || batchesSeen > 0 else { throw Malformed(reason: "BHS after messages outside a batch") }
                batchOpen = true
                batchesSeen += 1
                if result.batchHeader == nil { result.batchHeader = Array(line) }
            case "BTS":
                guard batchOpen else { throw Malformed(reason: "BTS without an open BHS") }
                finishMessage()
                batchOpen = false
            case "FTS":
                guard result.fileHeader != nil, !batchOpen else { throw Malformed(reason: "FTS without FHS, or inside an open batch") }
                finishMessage()
                fileClosed = true
            case "MSH":
                finishMessage()
                current = Array(line) + [0x0D]
            default:
                guard current != nil else { throw Malformed(reason: "segment \(id.isEmpty ? "?" : id) outside a message") }
                current! += line
                current!.append(0x0D)
            }
        }
        finishMessage()
        guard !result.messages.isEmpty else { throw Malformed(reason: "a batch without messages") }
        return result
    }

    /// The answer to the batch: the same envelope (FHS/BHS with sender and receiver swapped, a
    /// new control id, the received one as reference), then each ACK, then BTS/FTS with counts.
    func acknowledgment(acks: [[UInt8]], controlID: String, timestamp: String) -> [UInt8] {
        var out: [UInt8] = []
        func header(_ line: [UInt8]?, id: String) {
            guard let line, line.count >= 8 else {
                out += Array("\(id)|^~\\&|||||\(timestamp)||||\(controlID)\r".utf8)
                return
            }
            let d = line[3]
            // Field n of the received header (BHS-1 is the separator, BHS-2 the encoding chars).
            let fields = line[4...].split(separator: d, omittingEmptySubsequences: false).map(Array.init)
            func field(_ n: Int) -> [UInt8] { n - 2 < fields.count && n >= 2 ? fields[n - 2] : [] }
            out += Array(id.utf8) + [d] + field(2)
            for value in [field(5), field(6), field(3), field(4), Array(timestamp.utf8), [], [], [], Array(controlID.utf8), field(11)] {
                out.append(d)
                out += value
            }
            out.append(0x0D)
        }
        if fileHeader != nil { header(fileHeader, id: "FHS") }
        header(batchHeader ?? fileHeader, id: "BHS")
        for ack in acks { out += ack }
        let separator = (batchHeader ?? fileHeader).flatMap { $0.count > 3 ? $0[3] : nil } ?? 0x7C
        out += Array("BTS".utf8) + [separator] + Array(String(acks.count).utf8) + [0x0D]
        if fileHeader != nil { out += Array("FTS".utf8) + [separator] + Array("1".utf8) + [0x0D] }
        return out
    }
}
