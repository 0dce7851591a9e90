// Reading message archives for `switchboard replay`: the format sniffed per file (gzip, then
// MLLP-framed stream, HL7 v2.xml document, or ER7 text with one or many messages and FHS/BHS
// envelopes), every message with its file and byte offset, and damage reported with its offset
// while the rest of the file still yields its messages.
import CZlib

/// One message to replay.
public struct ReplayItem: Sendable, Equatable {
    /// The file it came from (`-` for standard input).
    public var source: String
    /// Byte offset of the message in the file (in the decompressed bytes for gzip files).
    public var offset: Int
    /// The frame payload: ER7 with CR after every segment, or the XML document as read.
    public var bytes: [UInt8]

    public init(source: String, offset: Int, bytes: [UInt8]) {
        self.source = source
        self.offset = offset
        self.bytes = bytes
    }
}

/// Damage in an archive: where, and what. Reading goes on after it.
public struct ReplayInputProblem: Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var offset: Int
    public var message: String

    public var description: String { "\(source):\(offset): \(message)" }
}

/// The format a file was read as.
public enum ReplayArchiveFormat: String, Sendable {
    case mllp, er7, xml
}

/// Splits archive bytes into messages.
public enum ReplayArchiveReader {
    /// The messages of one file's bytes, the problems met, and the format read.
    public static func read(_ bytes: [UInt8], source: String) -> (items: [ReplayItem], problems: [ReplayInputProblem], format: ReplayArchiveFormat, gzip: Bool) {
        var problems: [ReplayInputProblem] = []
        var content = bytes
        var gzip = false
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B {
            gzip = true
            let (inflated, problem) = gunzip(bytes)
            content = inflated
            if let problem { problems.append(ReplayInputProblem(source: source, offset: problem.offset, message: problem.message)) }
        }
        let start = firstMeaningfulByte(content)
        let items: [ReplayItem]
        let format: ReplayArchiveFormat
        if start < content.count, content[start] == 0x0B {
            format = .mllp
            items = mllpFrames(content, source: source, problems: &problems)
        } else if start < content.count, content[start] == UInt8(ascii: "<") {
            format = .xml
            items = [ReplayItem(source: source, offset: 0, bytes: content)]
        } else {
            format = .er7
            items = er7Messages(content, source: source, problems: &problems)
        }
        if items.isEmpty, problems.isEmpty {
            problems.append(ReplayInputProblem(source: source, offset: 0, message: "no HL7 message in the file"))
        }
        return (items, problems, format, gzip)
    }

    /// Index of the first byte that is not whitespace or a UTF-8 byte-order mark.
    static func firstMeaningfulByte(_ bytes: [UInt8]) -> Int {
        var index = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        while index < bytes.count, [0x20, 0x09, 0x0D, 0x0A].contains(bytes[index]) { index += 1 }
        return index
    }

    // MARK: MLLP

    /// `0x0B payload 0x1C 0x0D` frames. A start block inside a frame (the previous one never
    /// ended) or a stream ending inside a frame is reported; the next frame is still read.
    static func mllpFrames(_ bytes: [UInt8], source: String, problems: inout [ReplayInputProblem]) -> [ReplayItem] {
        var items: [ReplayItem] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte != 0x0B {
                if ![0x20, 0x09, 0x0D, 0x0A].contains(byte) {
                    // Junk between frames: skip to the next start block, reporting it once.
                    let junkStart = index
                    while index < bytes.count, bytes[index] != 0x0B { index += 1 }
                    problems.append(ReplayInputProblem(source: source, offset: junkStart,
                                                       message: "\(index - junkStart) bytes outside any MLLP frame skipped"))
                    continue
                }
                index += 1
                continue
            }
            let frameStart = index
            var end = index + 1
            while end < bytes.count, bytes[end] != 0x1C, bytes[end] != 0x0B { end += 1 }
            if end >= bytes.count {
                problems.append(ReplayInputProblem(source: source, offset: frameStart,
                                                   message: "MLLP frame not ended (no 0x1C) before the end of the file: skipped"))
                break
            }
            if bytes[end] == 0x0B {
                problems.append(ReplayInputProblem(source: source, offset: frameStart,
                                                   message: "MLLP frame broken: a start block (0x0B) at offset \(end) before its end block; skipped"))
                index = end
                continue
            }
            items.append(ReplayItem(source: source, offset: frameStart + 1, bytes: Array(bytes[(frameStart + 1)..<end])))
            index = end + 1
            if index < bytes.count, bytes[index] == 0x0D { index += 1 }
        }
        return items
    }

    // MARK: ER7 text

    /// Messages in ER7 text: a message starts at a line beginning `MSH`; segments end in CR,
    /// LF or CRLF; blank lines and FHS/BHS/BTS/FTS envelope lines are not part of a message.
    static func er7Messages(_ bytes: [UInt8], source: String, problems: inout [ReplayInputProblem]) -> [ReplayItem] {
        var items: [ReplayItem] = []
        var current: [UInt8] = []
        var currentOffset = 0
        var strayOffset: Int?
        func finish() {
            if !current.isEmpty { items.append(ReplayItem(source: source, offset: currentOffset, bytes: current)) }
            current = []
        }
        var index = firstMeaningfulByte(bytes) > 0 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while index < bytes.count {
            var end = index
            while end < bytes.count, bytes[end] != 0x0D, bytes[end] != 0x0A { end += 1 }
            let line = bytes[index..<end]
            let lineStart = index
            index = end
            if index < bytes.count, bytes[index] == 0x0D { index += 1 }
            if index < bytes.count, bytes[index] == 0x0A { index += 1 }
            guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { continue }
            let name = line.prefix(3)
            if name.elementsEqual("MSH".utf8) {
                finish()
                currentOffset = lineStart
                current.append(contentsOf: line)
                current.append(0x0D)
            } else if ["FHS", "BHS", "BTS", "FTS"].contains(where: { name.elementsEqual($0.utf8) }) {
                finish()
            } else if current.isEmpty {
                if strayOffset == nil { strayOffset = lineStart }
            } else {
                current.append(contentsOf: line)
                current.append(0x0D)
            }
        }
        finish()
        if let strayOffset {
            problems.append(ReplayInputProblem(source: source, offset: strayOffset, message: "segments outside any message (no MSH before them) skipped"))
        }
        return items
    }

    // MARK: gzip

    /// Inflates gzip data (several members allowed). On damage or truncation, what was
    /// inflated so far and the compressed offset where it stopped.
    static func gunzip(_ bytes: [UInt8]) -> ([UInt8], (offset: Int, message: String)?) {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 4)
        var stream = z_stream()
        guard switchboard_inflate_init_gzip(&stream) == Z_OK else { return ([], (0, "zlib could not start")) }
        defer { inflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var consumed = 0
        var problem: (offset: Int, message: String)?
        var ended = false
        bytes.withUnsafeBufferPointer { input in
            guard let base = input.baseAddress else { return }
            while true {
                stream.next_in = UnsafeMutablePointer(mutating: base + consumed)
                stream.avail_in = UInt32(min(input.count - consumed, Int(UInt32.max)))
                let before = stream.avail_in
                var outputFull = false
                let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    outputFull = stream.avail_out == 0
                    return status
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                consumed += Int(before - stream.avail_in)
                switch status {
                case Z_OK:
                    ended = false
                    // More output may be pending even when the input is used up.
                    if outputFull || consumed < input.count { continue }
                    return
                case Z_STREAM_END:
                    ended = true
                    guard consumed < input.count else { return }
                    // Another gzip member follows.
                    inflateReset(&stream)
                    ended = false
                case Z_BUF_ERROR where consumed >= input.count:
                    return  // no progress possible: the input ended (truncation is reported below)
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    problem = (consumed, "gzip data damaged at compressed offset \(consumed): \(reason)")
                    return
                }
            }
        }
        // Input used up before the end of the stream: truncated.
        if problem == nil, !ended {
            problem = (consumed, "gzip data truncated after \(consumed) compressed bytes (\(output.count) bytes inflated)")
        }
        return (output, problem)
    }
}
