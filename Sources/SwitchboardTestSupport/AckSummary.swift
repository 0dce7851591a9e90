// Reads what a test needs from an ACK (ER7 or v2.xml) without the HL7 library: the tests judge
// the daemon's answers black-box.

/// MSA-1, MSA-2, the ERR codes and MSH-9/MSH-10 of an acknowledgement.
public struct AckSummary: Sendable, Equatable, CustomStringConvertible {
    /// MSA-1: AA, AE, AR, CA, CE or CR.
    public var code: String
    /// MSA-2: the control id of the message acknowledged.
    public var acknowledgedControlID: String
    /// HL7 table 0357 codes: ERR-3.1 of each ERR segment, or ERR-1.4.1 (v2.3/v2.4 style).
    public var errorCodes: [String]
    /// MSH-9 of the ACK.
    public var messageType: String
    /// MSH-10 of the ACK.
    public var controlID: String
    /// Whether the ACK was an XML document.
    public var isXML: Bool

    /// `nil` when `bytes` is neither an ER7 message starting with MSH nor an XML document with
    /// an `<MSA.1>` element.
    /// The ACKs inside a batch acknowledgement (a frame starting with FHS or BHS), in order;
    /// empty when `bytes` is not a batch.
    public static func batch(_ bytes: [UInt8]) -> [AckSummary] {
        guard bytes.starts(with: Array("FHS".utf8)) || bytes.starts(with: Array("BHS".utf8)) else { return [] }
        var result: [AckSummary] = []
        var current: [UInt8] = []
        for line in bytes.split(separator: 0x0D) {
            if line.starts(with: Array("MSH".utf8)) {
                if !current.isEmpty, let ack = AckSummary(current) { result.append(ack) }
                current = Array(line) + [0x0D]
            } else if line.starts(with: Array("BTS".utf8)) || line.starts(with: Array("FTS".utf8)) || line.starts(with: Array("BHS".utf8)) {
                if !current.isEmpty, let ack = AckSummary(current) { result.append(ack) }
                current = []
            } else if !current.isEmpty {
                current += Array(line) + [0x0D]
            }
        }
        if !current.isEmpty, let ack = AckSummary(current) { result.append(ack) }
        return result
    }

    public init?(_ bytes: [UInt8]) {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        while start < bytes.count, [0x20, 0x09, 0x0D, 0x0A].contains(bytes[start]) { start += 1 }
        let body = Array(bytes[start...])
        if body.first == UInt8(ascii: "<") {
            guard let parsed = Self.xml(String(decoding: body, as: UTF8.self)) else { return nil }
            self = parsed
        } else {
            guard let parsed = Self.er7(body) else { return nil }
            self = parsed
        }
    }

    /// Whether MSA-1 is AA or CA.
    public var isAccept: Bool { code == "AA" || code == "CA" }
    /// Whether MSA-1 is AR or CR.
    public var isReject: Bool { code == "AR" || code == "CR" }
    /// Whether MSA-1 is AE or CE.
    public var isError: Bool { code == "AE" || code == "CE" }

    public var description: String {
        "\(code)" + (errorCodes.isEmpty ? "" : " ERR \(errorCodes.joined(separator: ","))") + (isXML ? " (xml)" : "")
            + " MSA-2=\(acknowledgedControlID)"
    }

    private init(code: String, acknowledged: String, errors: [String], type: String, control: String, xml: Bool) {
        self.code = code
        acknowledgedControlID = acknowledged
        errorCodes = errors
        messageType = type
        controlID = control
        isXML = xml
    }

    private static func er7(_ bytes: [UInt8]) -> AckSummary? {
        guard bytes.count >= 8, bytes.starts(with: Array("MSH".utf8)) else { return nil }
        let fieldSeparator = bytes[3]
        let encoding = bytes[4...].prefix { $0 != fieldSeparator && $0 != 0x0D && $0 != 0x0A }
        let componentSeparator = encoding.first ?? UInt8(ascii: "^")
        let subcomponentSeparator = encoding.count >= 4 ? encoding[encoding.startIndex + 3] : UInt8(ascii: "&")
        let segments = bytes.split(whereSeparator: { $0 == 0x0D || $0 == 0x0A })
        var code: String?, acknowledged = "", errors: [String] = [], type = "", control = ""
        func text(_ slice: ArraySlice<UInt8>) -> String { String(decoding: slice, as: UTF8.self) }
        for segment in segments {
            let fields = segment.split(separator: fieldSeparator, omittingEmptySubsequences: false)
            guard let id = fields.first else { continue }
            func field(_ n: Int) -> ArraySlice<UInt8> { n < fields.count ? fields[n] : [] }
            switch text(id) {
            case "MSH":
                // MSH-1 is the separator itself: MSH-n is fields[n - 1].
                type = text(field(8))
                control = text(field(9))
            case "MSA":
                code = text(field(1))
                acknowledged = text(field(2))
            case "ERR":
                let err3 = field(3).split(separator: componentSeparator, omittingEmptySubsequences: false).first ?? []
                if !err3.isEmpty {
                    errors.append(text(err3))
                } else {
                    // ERR-1 (ELD): segment^sequence^field^code(CE), the CE's parts as subcomponents.
                    let components = field(1).split(separator: componentSeparator, omittingEmptySubsequences: false)
                    if components.count >= 4, let first = components[3].split(separator: subcomponentSeparator, omittingEmptySubsequences: false).first, !first.isEmpty {
                        errors.append(text(first))
                    }
                }
            default:
                break
            }
        }
        guard let code else { return nil }
        return AckSummary(code: code, acknowledged: acknowledged, errors: errors, type: type, control: control, xml: false)
    }

    private static func xml(_ document: String) -> AckSummary? {
        guard let code = element("MSA.1", in: document[...]).map(firstText) else { return nil }
        let acknowledged = element("MSA.2", in: document[...]).map(firstText) ?? ""
        var errors: [String] = []
        var rest = document[...]
        while let err = element("ERR", in: rest) {
            if let err3 = element("ERR.3", in: err) {
                errors.append(firstText(err3))
            } else if let eld4 = element("ERR.1", in: err).flatMap({ element("ELD.4", in: $0) }) {
                errors.append(firstText(eld4))
            }
            rest = document[err.endIndex...]
        }
        var type = ""
        if let msh9 = element("MSH.9", in: document[...]) {
            type = [element("MSG.1", in: msh9), element("MSG.2", in: msh9)].compactMap { $0.map(firstText) }.joined(separator: "^")
        }
        let control = element("MSH.10", in: document[...]).map(firstText) ?? ""
        return AckSummary(code: code, acknowledged: acknowledged, errors: errors, type: type, control: control, xml: true)
    }

    /// The content of the first `<name>...</name>` (or `<name .../>`: empty) in `text`.
    private static func element(_ name: String, in text: Substring) -> Substring? {
        var search = text
        while let open = search.firstRange(of: "<" + name) {
            let after = open.upperBound
            guard after < search.endIndex else { return nil }
            let next = search[after]
            if next == ">" {
                let contentStart = search.index(after: after)
                guard let close = search[contentStart...].firstRange(of: "</" + name + ">") else { return nil }
                return search[contentStart..<close.lowerBound]
            }
            if next == " " || next == "/" {
                guard let end = search[after...].firstIndex(of: ">") else { return nil }
                if search[search.index(before: end)] == "/" { return search[end..<end] }
                let contentStart = search.index(after: end)
                guard let close = search[contentStart...].firstRange(of: "</" + name + ">") else { return nil }
                return search[contentStart..<close.lowerBound]
            }
            search = search[after...]  // a longer name (<MSA.10> when looking for <MSA.1>)
        }
        return nil
    }

    /// The first non-blank text between tags.
    private static func firstText(_ content: Substring) -> String {
        var inTag = false
        var text = ""
        for character in content {
            if character == "<" {
                if !text.trimmingBlanks().isEmpty { break }
                text = ""
                inTag = true
            } else if character == ">" {
                inTag = false
            } else if !inTag {
                text.append(character)
            }
        }
        return text.trimmingBlanks()
    }
}

extension String {
    fileprivate func trimmingBlanks() -> String {
        let blanks: Set<Character> = [" ", "\n", "\r", "\t"]
        var s = Substring(self)
        while let first = s.first, blanks.contains(first) { s = s.dropFirst() }
        while let last = s.last, blanks.contains(last) { s = s.dropLast() }
        return String(s)
    }
}
