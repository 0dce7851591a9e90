import HL7
import HL7XML

/// What an ACK says: MSA-1, MSA-2, MSA-3 and its ERR segments (ER7 or HL7 v2.xml).
public struct AckSummary: Sendable, Hashable {
    /// One ERR segment.
    public struct ErrorEntry: Sendable, Hashable {
        /// The HL7 table 0357 code: ERR-3.1 (v2.5+), else ERR-1.4.1.
        public var code: String
        /// ERR-8 (user message), else ERR-3.2 / ERR-1.4.2 (the code's text), else ERR-7.
        public var text: String?

        /// Creates an entry.
        public init(code: String, text: String?) {
            self.code = code
            self.text = text
        }
    }

    /// MSA-1: AA, AE, AR, CA, CE or CR.
    public var code: String
    /// MSA-2: the control id of the message acknowledged.
    public var controlID: String
    /// MSA-3 (text message), if any.
    public var text: String?
    /// The ERR segments, in order.
    public var errors: [ErrorEntry]

    /// Whether MSA-1 is AA or CA.
    public var isAccept: Bool { code == "AA" || code == "CA" }

    /// Why a response could not be read as an ACK.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// A sentence.
        public var message: String
        public var description: String { message }
    }

    /// Reads an ACK payload as ``init(parsing:)`` does, but without a parse for the common
    /// case: a plain ASCII ER7 ACK with the four usual encoding characters, one MSH, no ERR
    /// segment, and MSA-1/MSA-2 free of every separator and escape, is read by a byte scan
    /// (MSA-3 is then left out); anything else is parsed.
    public static func reading(_ payload: [UInt8]) throws(ParseError) -> AckSummary {
        if let quick = scanned(payload) { return quick }
        return try AckSummary(parsing: payload)
    }

    private init(code: String, controlID: String) {
        self.code = code
        self.controlID = controlID
        self.text = nil
        self.errors = []
    }

    private static func scanned(_ payload: [UInt8]) -> AckSummary? {
        guard !mayCarryErrors(payload) else { return nil }
        return payload.withUnsafeBufferPointer { bytes -> AckSummary? in
            let n = bytes.count
            // "MSH", a field separator, exactly four encoding characters (2.7's truncation
            // character and anything unusual go to the parse).
            guard n > 9, bytes[0] == 0x4D, bytes[1] == 0x53, bytes[2] == 0x48, bytes[8] == bytes[3] else { return nil }
            let fs = bytes[3], (cs, rs, esc, ss) = (bytes[4], bytes[5], bytes[6], bytes[7])
            // Non-ASCII (MSH-18 decides how it reads) or a second message: the parse decides.
            for i in 0..<n {
                if bytes[i] >= 0x80 { return nil }
                if i > 0, bytes[i - 1] == 0x0D || bytes[i - 1] == 0x0A, i + 3 < n,
                   bytes[i] == 0x4D, bytes[i + 1] == 0x53, bytes[i + 2] == 0x48, bytes[i + 3] == fs { return nil }
            }
            var i = 4
            while i + 4 < n {
                if bytes[i] == 0x0D || bytes[i] == 0x0A, bytes[i + 1] == 0x4D, bytes[i + 2] == 0x53, bytes[i + 3] == 0x41, bytes[i + 4] == fs {
                    break  // "\rMSA|"
                }
                i += 1
            }
            guard i + 4 < n else { return nil }
            var fields: [String] = []
            var start = i + 5, k = start
            while fields.count < 2 {
                guard k <= n else { return nil }
                if k == n || bytes[k] == fs || bytes[k] == 0x0D || bytes[k] == 0x0A {
                    fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<k]), as: UTF8.self))
                    if k == n || bytes[k] != fs, fields.count < 2 { fields.append("") }
                    start = k + 1
                } else if bytes[k] == cs || bytes[k] == rs || bytes[k] == esc || bytes[k] == ss {
                    return nil  // a component, repetition, escape or subcomponent: parsed
                }
                k += 1
            }
            return AckSummary(code: fields[0], controlID: fields[1])
        }
    }

    /// Whether `payload` may hold an ERR segment (ER7 `ERR` at a segment start, or an XML
    /// `<ERR`): a byte scan, so that answers without one need no parse.
    public static func mayCarryErrors(_ payload: [UInt8]) -> Bool {
        payload.withUnsafeBufferPointer { bytes in
            var i = 0
            while i + 3 < bytes.count {
                if bytes[i + 1] == 0x45, bytes[i + 2] == 0x52, bytes[i + 3] == 0x52,  // "ERR"
                   bytes[i] == 0x0D || bytes[i] == 0x0A || bytes[i] == 0x3C { return true }
                i += 1
            }
            return false
        }
    }

    /// Reads an ACK payload.
    /// - Throws: ``ParseError`` when it is not HL7 or has no MSA segment.
    public init(parsing payload: [UInt8]) throws(ParseError) {
        let message: HL7Message
        do {
            if HL7XMLReader.looksLikeXML(payload) {
                message = try HL7XMLReader.message(payload)
            } else {
                message = try HL7Message(parsing: payload)
            }
        } catch {
            throw ParseError(message: "response is not an HL7 message: \(error)")
        }
        guard let msa = message.segment("MSA") else {
            throw ParseError(message: "response has no MSA segment")
        }
        code = msa[1].text
        controlID = msa[2].text
        text = msa[3].nonEmptyText
        errors = message.segments(named: "ERR").map { err in
            let modern = err[3]
            if let code = modern.component(1).nonEmptyText {
                return ErrorEntry(code: code, text: err[8].nonEmptyText ?? modern.component(2).nonEmptyText ?? err[7].nonEmptyText)
            }
            let legacy = err[1].component(4)
            return ErrorEntry(code: legacy[1].text, text: legacy[2].nonEmptyText ?? err[8].nonEmptyText ?? err[7].nonEmptyText)
        }
    }
}
