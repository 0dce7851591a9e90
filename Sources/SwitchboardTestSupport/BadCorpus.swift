// The hostile-input corpus of ../shared/conformance/corpus/bad: its INDEX.md rows, what each
// row allows as a reaction, and the judging of what a daemon did.

/// One row of `corpus/bad/INDEX.md`.
public struct BadCorpusRow: Sendable, Equatable {
    /// The file name (without the ` (generated)` note).
    public var file: String
    /// `file`, `mllp`, `xml` or `file/mllp`.
    public var delivery: String
    /// What the input is.
    public var what: String
    /// The expected reaction, as written.
    public var reaction: String
    /// Made by `gen_big.py OUTDIR` rather than stored.
    public var generated: Bool

    /// Whether the bytes go on the wire as they are (`.mllp` files); otherwise they are the
    /// payload of one frame.
    public var isRawMLLP: Bool { file.hasSuffix(".mllp") }
}

public enum BadCorpusIndex {
    /// The table rows of INDEX.md (header and separator lines skipped, `\|` unescaped).
    public static func parse(markdown: String) -> [BadCorpusRow] {
        var rows: [BadCorpusRow] = []
        for line in markdown.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(" ")
            guard trimmed.hasPrefix("|"), trimmed.hasSuffix("|") else { continue }
            let cells = splitCells(String(trimmed.dropFirst().dropLast()))
            guard cells.count == 4 else { continue }
            var file = cells[0]
            if file == "file" || file.allSatisfy({ $0 == "-" }) { continue }
            var generated = false
            if file.hasSuffix("(generated)") {
                generated = true
                file = String(file.dropLast("(generated)".count)).trimmingCharacters(" ")
            }
            rows.append(BadCorpusRow(file: file, delivery: cells[1], what: cells[2], reaction: cells[3], generated: generated))
        }
        return rows
    }

    /// Splits a table line's cells on `|` not preceded by `\`; `\|` becomes `|`.
    static func splitCells(_ text: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                if character != "|" { current.append("\\") }
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                cells.append(current.trimmingCharacters(" "))
                current = ""
            } else {
                current.append(character)
            }
        }
        if escaped { current.append("\\") }
        cells.append(current.trimmingCharacters(" "))
        return cells
    }
}

/// What one ACK must be.
public enum AckRule: Sendable, Equatable, CustomStringConvertible {
    /// AA or CA.
    case accept
    /// AR or CR, with an ERR code from the set (any code when the set is empty).
    case rejectAR(Set<String>)
    /// AE, AR, CE or CR.
    case reject
    /// Any ACK.
    case any

    public func admits(_ ack: AckSummary) -> Bool {
        switch self {
        case .accept: return ack.isAccept
        case .rejectAR(let codes): return ack.isReject && (codes.isEmpty || !codes.isDisjoint(with: ack.errorCodes))
        case .reject: return ack.isReject || ack.isError
        case .any: return !ack.code.isEmpty
        }
    }

    public var description: String {
        switch self {
        case .accept: return "AA/CA"
        case .rejectAR(let codes): return "AR/CR" + (codes.isEmpty ? "" : " " + codes.sorted().joined(separator: "|"))
        case .reject: return "AE/AR/CE/CR"
        case .any: return "any ACK"
        }
    }
}

/// One acceptable reaction to a delivery.
public enum ReactionAlternative: Sendable, Equatable, CustomStringConvertible {
    /// Connection closed without an ACK (CLOSE).
    case close
    /// No ACK, connection still usable (IGNORE).
    case ignore
    /// Exactly these ACKs, in order.
    case acks([AckRule])
    /// One ACK per MSH segment of the input (per-message ACKs of a batch or of a frame with
    /// several messages), each admitted by the rule.
    case ackPerMessage(AckRule)
    /// One ACK per frame delivered, each admitted by the rule, MSA-2 in frame order.
    case ackPerFrame(AckRule)

    public var description: String {
        switch self {
        case .close: return "CLOSE"
        case .ignore: return "IGNORE"
        case .acks(let rules): return rules.count == 1 ? rules[0].description : "[" + rules.map(\.description).joined(separator: ", ") + "]"
        case .ackPerMessage(let rule): return "per-message \(rule)"
        case .ackPerFrame(let rule): return "per-frame \(rule)"
        }
    }
}

/// The reactions INDEX.md allows for one row, read from its reaction text.
public struct ReactionExpectation: Sendable, Equatable, CustomStringConvertible {
    public var alternatives: [ReactionAlternative]
    /// "keep the connection usable": the connection must still answer afterwards.
    public var keepsConnection: Bool
    /// The row says a plain ACCEPT is fine ("ACCEPT-OK", "ACCEPT", "AA"): the input's
    /// peculiarity is tolerated. See ``ObservedReaction/isPolicyRefusal``.
    public var allowsAccept: Bool {
        alternatives.contains(.acks([.accept]))
    }

    public var description: String {
        alternatives.map(\.description).joined(separator: " or ") + (keepsConnection ? " (connection kept)" : "")
    }

    /// Reads the reaction column. The keywords of the INDEX legend (REJECT-AR codes, REJECT,
    /// CLOSE, IGNORE, ACCEPT-OK, ACCEPT, AA) give single-ACK alternatives; a few rows describe
    /// several frames or messages in words, read here phrase by phrase. `previous` is the row
    /// above (for "same as above"). `nil` when nothing in the text could be read.
    public static func parse(_ text: String, previous: ReactionExpectation?) -> ReactionExpectation? {
        var lowered = text.lowercased()
        if lowered.hasPrefix("same as above") { return previous }
        var alternatives: [ReactionAlternative] = []
        func add(_ alternative: ReactionAlternative) {
            if !alternatives.contains(alternative) { alternatives.append(alternative) }
        }
        var text = text
        // Phrases about bytes around the message, not alternatives for it: the exact ACK count
        // checks them.
        for phrase in ["IGNORE the tail", "IGNORE the garbage"] {
            text = text.replacingAll(phrase, with: "")
        }
        lowered = text.lowercased()
        // Several frames or messages.
        if lowered.contains("ack both frames") { add(.acks([.accept, .accept])) }
        if lowered.contains("ack every frame") { add(.ackPerFrame(.accept)) }
        // "(AA)" qualifies the per-frame / per-message ACKs; it is not a one-ACK alternative.
        if lowered.contains("ack every frame") || lowered.contains("per-message acks (aa)") {
            text = text.replacingAll("(AA)", with: "")
        }
        if lowered.contains("ack the first") { add(.acks([.accept])) }
        if lowered.contains("ack each message") { add(.ackPerMessage(.any)) }
        if lowered.contains("per-message acks (aa)") { add(.ackPerMessage(.accept)) } else if lowered.contains("per-message ack") { add(.ackPerMessage(.any)) }
        if lowered.contains("batch ack") { add(.acks([.accept])) }
        // Parsing on (an entity, element or PI left aside): whatever the message then earns.
        if lowered.contains("parse with entities disabled") || lowered.contains("parse without resolving")
            || lowered.contains("reject or ignore") {
            add(.acks([.any]))
        }
        if lowered.contains("or ignore it") { add(.acks([.accept])) }
        let secondMessage = lowered.contains("for the second message")

        // Keywords.
        let tokens = text.split(whereSeparator: { " ,;()".contains($0) }).map(String.init)
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            for word in token.split(separator: "|").map(String.init) {
                switch word {
                case "REJECT-AR":
                    var codes: Set<String> = []
                    if index + 1 < tokens.count {
                        let candidates = tokens[index + 1].split(separator: "|").map(String.init)
                        if !candidates.isEmpty, candidates.allSatisfy({ $0.count == 3 && $0.allSatisfy(\.isNumber) }) {
                            codes = Set(candidates)
                            index += 1
                        }
                    }
                    if secondMessage {
                        add(.acks([.rejectAR(codes)]))
                        add(.acks([.any, .rejectAR(codes)]))
                    } else {
                        add(.acks([.rejectAR(codes)]))
                    }
                case "REJECT": add(.acks([.reject]))
                case "CLOSE": add(.close)
                case "IGNORE": add(.ignore)
                case "ACCEPT-OK", "ACCEPT", "AA": add(.acks([.accept]))
                default: break
                }
            }
            index += 1
        }
        guard !alternatives.isEmpty else { return nil }
        return ReactionExpectation(alternatives: alternatives, keepsConnection: lowered.contains("keep the connection usable"))
    }
}

/// What the daemon did with one delivery.
public struct ObservedReaction: Sendable, CustomStringConvertible {
    /// How the connection ended up.
    public enum Connection: String, Sendable {
        /// Still answering (a later frame on it was answered).
        case open
        /// Closed or reset by the daemon.
        case closed
        /// Neither answered nor closed in time.
        case hung
    }

    /// The ACKs received for the delivery, in order.
    public var acks: [AckSummary]
    /// Frames received that were not ACKs (e.g. garbage echoed back).
    public var otherFrames: Int
    public var connection: Connection
    /// MSH segments in the input (for per-message ACKs).
    public var messageCount: Int
    /// Frames in the input (for per-frame ACKs).
    public var frameCount: Int
    /// MSH-10 of each frame delivered, in order, when known (for per-frame order).
    public var frameControlIDs: [String]

    public init(acks: [AckSummary], otherFrames: Int, connection: Connection, messageCount: Int, frameCount: Int,
                frameControlIDs: [String] = []) {
        self.acks = acks
        self.otherFrames = otherFrames
        self.connection = connection
        self.messageCount = messageCount
        self.frameCount = frameCount
        self.frameControlIDs = frameControlIDs
    }

    public var description: String {
        var parts: [String] = []
        if acks.isEmpty {
            parts.append(connection == .closed ? "CLOSE (no ACK)" : connection == .open ? "IGNORE (no ACK)" : "no ACK")
        } else if acks.count <= 4 {
            parts.append(acks.map(\.description).joined(separator: "; "))
        } else {
            let codes = Dictionary(grouping: acks, by: \.code).map { "\($0.key)×\($0.value.count)" }.sorted()
            parts.append("\(acks.count) ACKs (\(codes.joined(separator: ", ")))")
        }
        if otherFrames > 0 { parts.append("\(otherFrames) non-ACK frames") }
        parts.append("connection \(connection.rawValue)")
        return parts.joined(separator: ", ")
    }

    /// Whether this is one of the reactions `expected` allows.
    public func meets(_ expected: ReactionExpectation) -> Bool {
        guard connection != .hung, otherFrames == 0 else { return false }
        if expected.keepsConnection && connection != .open { return false }
        return expected.alternatives.contains { matches($0) }
    }

    /// A single ACK refusing the message for what the receiver handles (DESIGN §3: 101
    /// required field missing, 200/201 unsupported type/event, 202 processing id, 203 version)
    /// where the row allows ACCEPT: the input's peculiarity was tolerated and the parsed
    /// message then met the receiver's ordinary rules. Reported separately, never silently.
    public func isPolicyRefusal(for expected: ReactionExpectation) -> Bool {
        guard expected.allowsAccept, connection != .hung, otherFrames == 0, acks.count == 1 else { return false }
        let ack = acks[0]
        let policy: Set<String> = ["101", "200", "201", "202", "203"]
        return (ack.isReject || ack.isError) && !ack.errorCodes.isEmpty && ack.errorCodes.allSatisfy(policy.contains)
    }

    private func matches(_ alternative: ReactionAlternative) -> Bool {
        switch alternative {
        case .close: return acks.isEmpty && connection == .closed
        case .ignore: return acks.isEmpty && connection == .open
        case .acks(let rules): return acks.count == rules.count && zip(rules, acks).allSatisfy { $0.admits($1) }
        case .ackPerMessage(let rule): return acks.count == messageCount && acks.allSatisfy(rule.admits)
        case .ackPerFrame(let rule):
            guard acks.count == frameCount, acks.allSatisfy(rule.admits) else { return false }
            return frameControlIDs.isEmpty || acks.map(\.acknowledgedControlID) == frameControlIDs
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(_ blanks: Character...) -> String {
        var s = Substring(self)
        while let first = s.first, blanks.contains(first) { s = s.dropFirst() }
        while let last = s.last, blanks.contains(last) { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

/// Counting helpers for deliveries.
public enum MLLPBytes {
    /// MSH segments in ER7 bytes (at the start or after CR/LF).
    public static func messageCount(_ bytes: [UInt8]) -> Int {
        var count = 0
        var atSegmentStart = true
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if atSegmentStart, byte == UInt8(ascii: "M"), i + 3 < bytes.count, bytes[i + 1] == UInt8(ascii: "S"),
               bytes[i + 2] == UInt8(ascii: "H") {
                count += 1
            }
            atSegmentStart = byte == 0x0D || byte == 0x0A || byte == 0x0B
            i += 1
        }
        return count
    }

    /// Complete frames (`0x0B ... 0x1C 0x0D`) in raw MLLP bytes, with each frame's MSH-10 when
    /// it has one.
    public static func frames(_ bytes: [UInt8]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var start: Int?
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0B {
                start = i + 1
            } else if bytes[i] == 0x1C, i + 1 < bytes.count, bytes[i + 1] == 0x0D, let s = start {
                frames.append(Array(bytes[s..<i]))
                start = nil
            }
            i += 1
        }
        return frames
    }

    /// MSH-10 of an ER7 message, if it has one.
    public static func controlID(_ message: [UInt8]) -> String? {
        guard message.count > 8, message.starts(with: Array("MSH".utf8)) else { return nil }
        let separator = message[3]
        let firstSegment = message.prefix { $0 != 0x0D && $0 != 0x0A }
        let fields = firstSegment.split(separator: separator, omittingEmptySubsequences: false)
        return fields.count > 9 ? String(decoding: fields[9], as: UTF8.self) : nil
    }
}
