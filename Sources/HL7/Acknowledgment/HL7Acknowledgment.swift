/// Builds ACK messages: original mode (AA/AE/AR) and enhanced mode (CA/CE/CR), with ERR
/// segments laid out as the received message's version expects.
///
/// The ACK's MSH mirrors the received header: MSH-3/4 are the receiver's MSH-5/6, MSH-5/6 the
/// sender's MSH-3/4, MSH-11, MSH-12 and MSH-18 are echoed, MSH-10 is the new control id the
/// caller supplies, and MSA-2 echoes the received MSH-10. The received delimiters are used when
/// they are valid, the standard ones otherwise.
public enum HL7Acknowledgment {
    /// Which acknowledgement mode to answer in.
    public enum Mode: Hashable, Sendable {
        /// AA / AE / AR.
        case original
        /// CA / CE / CR (commit acknowledgement, enhanced mode).
        case enhanced

        /// Enhanced when the received header asks for it (MSH-15 or MSH-16 valued).
        public init(for header: HL7Header?) {
            self = (header?.usesEnhancedAcknowledgment ?? false) ? .enhanced : .original
        }
    }

    /// The outcome an ACK reports.
    public enum Outcome: Hashable, Sendable {
        /// Stored and applied: AA / CA.
        case accepted
        /// Rejected for its content (missing field, bad value): AE / CE.
        case error
        /// Rejected as unsupported or unprocessable (type, version, storage failure): AR / CR.
        case rejected

        /// MSA-1 for this outcome in `mode`.
        public func code(_ mode: Mode) -> String {
            switch (self, mode) {
            case (.accepted, .original): "AA"
            case (.error, .original): "AE"
            case (.rejected, .original): "AR"
            case (.accepted, .enhanced): "CA"
            case (.error, .enhanced): "CE"
            case (.rejected, .enhanced): "CR"
            }
        }
    }

    /// ERR-4 severity (HL7 table 0516).
    public enum Severity: String, Hashable, Sendable {
        case error = "E", warning = "W", information = "I", fatal = "F"
    }

    /// Where an error is (ERR-2, ERL): segment id and occurrence, then optional positions.
    public struct Location: Hashable, Sendable {
        public var segmentID: String
        public var sequence: Int
        public var field: Int?
        public var repetition: Int?
        public var component: Int?
        public var subcomponent: Int?

        public init(segmentID: String, sequence: Int = 1, field: Int? = nil, repetition: Int? = nil,
                    component: Int? = nil, subcomponent: Int? = nil) {
            self.segmentID = segmentID
            self.sequence = sequence
            self.field = field
            self.repetition = repetition
            self.component = component
            self.subcomponent = subcomponent
        }

        /// The location of a path's value.
        public init(_ path: HL7Path) {
            self.init(segmentID: path.segment, sequence: path.occurrence, field: path.field,
                      repetition: path.repetition, component: path.component, subcomponent: path.subcomponent)
        }
    }

    /// One ERR segment.
    public struct ErrorDetail: Hashable, Sendable {
        /// ERR-3 (or ERR-1.4): the table 0357 code.
        public var code: HL7ErrorCode
        public var severity: Severity
        public var location: Location?
        /// ERR-7: text for the sender's interface engineer. Carries no patient data.
        public var diagnostic: String?

        public init(code: HL7ErrorCode, severity: Severity = .error, location: Location? = nil, diagnostic: String? = nil) {
            self.code = code
            self.severity = severity
            self.location = location
            self.diagnostic = diagnostic
        }
    }

    /// Builds an ACK for a received message.
    ///
    /// - Parameters:
    ///   - header: the received header (from ``HL7Message/header`` or ``HL7HeaderPeek``); `nil`
    ///     when nothing could be salvaged: MSA-2 is then empty and the version 2.5.1.
    ///   - outcome: accepted, error or rejected.
    ///   - mode: original or enhanced; defaults to what the header asks for.
    ///   - errors: ERR segments, in order.
    ///   - controlID: MSH-10 of the ACK: a new unique id.
    ///   - timestamp: MSH-7 of the ACK.
    ///   - textMessage: MSA-3, written only for versions before 2.5 (deprecated after).
    /// - Returns: the ACK as ER7 bytes, segments terminated by CR.
    public static func build(for header: HL7Header?, outcome: Outcome, mode: Mode? = nil, errors: [ErrorDetail] = [],
                             controlID: String, timestamp: HL7Timestamp, textMessage: String? = nil) -> [UInt8] {
        let mode = mode ?? Mode(for: header)
        if errors.isEmpty, let header, usable(header.delimiters) {
            return buildWithoutErrors(for: header, code: outcome.code(mode), controlID: controlID, timestamp: timestamp,
                                      textMessage: textMessage)
        }
        return buildGeneral(for: header, outcome: outcome, mode: mode, errors: errors, controlID: controlID,
                            timestamp: timestamp, textMessage: textMessage)
    }

    /// Any header (or none), any errors: the reference layout ``buildWithoutErrors`` must match.
    static func buildGeneral(for header: HL7Header?, outcome: Outcome, mode: Mode, errors: [ErrorDetail],
                             controlID: String, timestamp: HL7Timestamp, textMessage: String?) -> [UInt8] {
        // With the sender's own delimiters, its fields are mirrored byte for byte.
        let mirrorRaw = header.map { usable($0.delimiters) } ?? false
        let d = mirrorRaw ? header!.delimiters : .standard
        let charset = header?.characterSet
        let version = header.map { $0.version.isEmpty ? "2.5.1" : $0.version } ?? "2.5.1"
        let numbers = header?.versionNumbers ?? [2, 5, 1]
        let modernERR = numbers.isEmpty || numbers.lexicographicallyPrecedes([2, 5]) == false

        var out: [UInt8] = []
        out.reserveCapacity(256)
        /// Escapes `s`; plain printable ASCII without delimiters (the usual header value) is copied
        /// as is, without the general encoder.
        func esc(_ s: String) -> [UInt8] {
            var plain = true
            for byte in s.utf8 where byte < 0x20 || byte >= 0x7F || byte == d.field || byte == d.component
                || byte == d.repetition || byte == d.escape || byte == d.subcomponent || byte == d.truncation {
                plain = false
                break
            }
            return plain ? Array(s.utf8) : HL7Escaping.encode(s, delimiters: d, characterSet: charset)
        }
        func field(_ bytes: [UInt8]) { out.append(d.field); out += bytes }
        /// A composite from parts already split (each escaped) joined with `joiner`.
        func parts(_ values: [String?], joiner: UInt8) -> [UInt8] {
            var trimmed = values
            while let last = trimmed.last, last == nil || last == "" { trimmed.removeLast() }
            return trimmed.map { esc($0 ?? "") }.joined(separator: [joiner]).map { $0 }
        }
        /// A mirrored HD field: components split on `^` as the header rejoined them.
        func mirrored(_ s: String) -> [UInt8] {
            parts(s.split(separator: "^", omittingEmptySubsequences: false).map(String.init), joiner: d.component)
        }

        out += Array("MSH".utf8)
        out.append(d.field)
        out += d.encodingCharacters
        if let header, mirrorRaw {
            field(header.rawReceivingApplication)
            field(header.rawReceivingFacility)
            field(header.rawSendingApplication)
            field(header.rawSendingFacility)
        } else {
            field(mirrored(header?.receivingApplication ?? ""))
            field(mirrored(header?.receivingFacility ?? ""))
            field(mirrored(header?.sendingApplication ?? ""))
            field(mirrored(header?.sendingFacility ?? ""))
        }
        field(esc(timestamp.description))
        field([])
        let trigger = header?.triggerEvent ?? ""
        let hasStructure = numbers.isEmpty || !numbers.lexicographicallyPrecedes([2, 3, 1])
        field(parts(["ACK", trigger, hasStructure ? "ACK" : nil], joiner: d.component))
        field(esc(controlID))
        field(esc(header.map { $0.processingID.isEmpty ? "P" : $0.processingID } ?? "P"))
        field(esc(version))
        if let header, !header.rawCharacterSetName.isEmpty {
            out += [UInt8](repeating: d.field, count: 5)
            field(mirrorRaw ? header.rawCharacterSetName : esc(header.characterSetName))
        }
        out.append(13)

        out += Array("MSA".utf8)
        field(esc(outcome.code(mode)))
        if let header, mirrorRaw { field(header.rawControlID) } else { field(esc(header?.controlID ?? "")) }
        if !modernERR, let textMessage, !textMessage.isEmpty { field(esc(textMessage)) }
        out.append(13)

        for error in errors {
            out += Array("ERR".utf8)
            let code = error.code
            if modernERR {
                field([])
                if let l = error.location {
                    field(parts([l.segmentID, String(l.sequence), l.field.map(String.init), l.repetition.map(String.init),
                                 l.component.map(String.init), l.subcomponent.map(String.init)], joiner: d.component))
                } else {
                    field([])
                }
                field(parts([String(code.code), code.text, "HL70357"], joiner: d.component))
                field(esc(error.severity.rawValue))
                if let diagnostic = error.diagnostic, !diagnostic.isEmpty {
                    out += [UInt8](repeating: d.field, count: 2)
                    field(esc(diagnostic))
                }
            } else {
                // ERR-1, ELD: segment ^ sequence ^ field ^ code&text&table.
                let l = error.location
                var eld = parts([l?.segmentID ?? "", l.map { String($0.sequence) }, l?.field.map(String.init)], joiner: d.component)
                let fieldsWritten = l?.field != nil ? 3 : (l != nil ? 2 : 0)
                eld += [UInt8](repeating: d.component, count: fieldsWritten == 0 ? 3 : 4 - fieldsWritten)
                eld += parts([String(code.code), code.text, "HL70357"], joiner: d.subcomponent)
                field(eld)
            }
            out.append(13)
        }
        return out
    }

    /// The common case, byte for byte what the general path writes: a usable received header
    /// and no ERR segments. It touches each header field once and skips the general escaper
    /// for plain values (every message's ACK goes through here).
    static func buildWithoutErrors(for header: HL7Header, code: String, controlID: String, timestamp: HL7Timestamp,
                                   textMessage: String?) -> [UInt8] {
        let d = header.delimiters
        let charset = header.characterSet
        var out: [UInt8] = []
        out.reserveCapacity(112 + header.rawReceivingApplication.count + header.rawReceivingFacility.count
            + header.rawSendingApplication.count + header.rawSendingFacility.count + header.rawControlID.count
            + header.rawCharacterSetName.count + controlID.utf8.count + header.triggerEvent.utf8.count)
        func isPlain(_ byte: UInt8) -> Bool {
            !(byte < 0x20 || byte >= 0x7F || byte == d.field || byte == d.component || byte == d.repetition
              || byte == d.escape || byte == d.subcomponent || byte == d.truncation)
        }
        func escaped(_ s: String) {
            for byte in s.utf8 where !isPlain(byte) {
                out += HL7Escaping.encode(s, delimiters: d, characterSet: charset)
                return
            }
            out += s.utf8
        }
        func append(_ a: UInt8, _ b: UInt8, _ c: UInt8) {
            out.append(a)
            out.append(b)
            out.append(c)
        }
        /// `value` as `width` decimal digits.
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(truncatingIfNeeded: 0x30 + rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        // The version as numbers without allocating: (2, 5, 1) for "2.5.1"; nil when not numeric.
        var parts = (0, 0, 0, count: 0)
        var valid = true
        var current = -1
        for byte in header.version.utf8 {
            if byte == 0x2E {
                guard current >= 0 else { valid = false; break }
                if parts.count == 0 { parts.0 = current } else if parts.count == 1 { parts.1 = current } else if parts.count == 2 { parts.2 = current }
                parts.count += 1
                current = -1
            } else if byte >= 0x30, byte <= 0x39, current < 100_000 {
                current = max(current, 0) * 10 + Int(byte - 0x30)
            } else {
                valid = false
                break
            }
        }
        if valid, current >= 0 {
            if parts.count == 0 { parts.0 = current } else if parts.count == 1 { parts.1 = current } else if parts.count == 2 { parts.2 = current }
            parts.count += 1
        } else {
            valid = false
        }
        // Anything unusual (signs, spaces, huge numbers, empty parts): the general rule decides.
        let atLeast231: Bool
        let atLeast25: Bool
        if valid {
            atLeast231 = (parts.0, parts.1, parts.2) >= (2, 3, 1)
            atLeast25 = (parts.0, parts.1) >= (2, 5)
        } else {
            let numbers = header.versionNumbers
            atLeast231 = numbers.isEmpty || !numbers.lexicographicallyPrecedes([2, 3, 1])
            atLeast25 = numbers.isEmpty || !numbers.lexicographicallyPrecedes([2, 5])
        }

        append(0x4D, 0x53, 0x48)  // MSH
        out.append(d.field)
        out += d.encodingCharacters
        out.append(d.field)
        out += header.rawReceivingApplication
        out.append(d.field)
        out += header.rawReceivingFacility
        out.append(d.field)
        out += header.rawSendingApplication
        out.append(d.field)
        out += header.rawSendingFacility
        out.append(d.field)
        // MSH-7 written digit by digit when it is the usual full-precision UTC form.
        if let month = timestamp.month, let day = timestamp.day, let hour = timestamp.hour, let minute = timestamp.minute,
           let second = timestamp.second, [month, day, hour, minute, second].allSatisfy({ (0...99).contains($0) }),
           timestamp.utcOffsetMinutes == 0, !timestamp.negativeZeroOffset, (0...9999).contains(timestamp.year),
           let fraction = timestamp.fractionDigits, fraction.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
           isPlain(0x2E), isPlain(0x2B), (0x30...0x39).allSatisfy(isPlain) {
            digits(timestamp.year, 4)
            digits(month, 2)
            digits(day, 2)
            digits(hour, 2)
            digits(minute, 2)
            digits(second, 2)
            out.append(0x2E)
            out += fraction.utf8
            out.append(0x2B)
            append(0x30, 0x30, 0x30)
            out.append(0x30)
        } else {
            escaped(timestamp.description)
        }
        out.append(d.field)
        out.append(d.field)
        // MSH-9: ACK^<trigger>^ACK (the structure component from v2.3.1), trailing empties trimmed.
        append(0x41, 0x43, 0x4B)
        let trigger = header.triggerEvent
        if atLeast231 {
            out.append(d.component)
            escaped(trigger)
            out.append(d.component)
            append(0x41, 0x43, 0x4B)
        } else if !trigger.isEmpty {
            out.append(d.component)
            escaped(trigger)
        }
        out.append(d.field)
        escaped(controlID)
        out.append(d.field)
        escaped(header.processingID.isEmpty ? "P" : header.processingID)
        out.append(d.field)
        escaped(header.version.isEmpty ? "2.5.1" : header.version)
        if !header.rawCharacterSetName.isEmpty {
            for _ in 0..<6 { out.append(d.field) }
            out += header.rawCharacterSetName
        }
        out.append(13)
        append(0x4D, 0x53, 0x41)  // MSA
        out.append(d.field)
        escaped(code)
        out.append(d.field)
        out += header.rawControlID
        if !atLeast25, let textMessage, !textMessage.isEmpty {
            out.append(d.field)
            escaped(textMessage)
        }
        out.append(13)
        return out
    }

    /// Every delimiter usable and no two alike (a plain loop: this runs for every ACK).
    static func usable(_ d: HL7Delimiters) -> Bool {
        let all = [d.field] + d.encodingCharacters
        for (index, byte) in all.enumerated() {
            guard HL7Delimiters.isUsableDelimiter(byte) else { return false }
            for other in all[(index + 1)...] where other == byte { return false }
        }
        return true
    }
}

extension HL7Header {
    /// Whether an accept acknowledgement should be sent for `outcome` under MSH-15 (enhanced
    /// mode): AL always, NE never, ER only for errors and rejections, SU only on success.
    /// Original mode (MSH-15 empty) always answers.
    public func wantsAcceptAcknowledgment(for outcome: HL7Acknowledgment.Outcome) -> Bool {
        switch acceptAcknowledgmentType.uppercased() {
        case "NE": false
        case "ER": outcome != .accepted
        case "SU": outcome == .accepted
        default: true
        }
    }

    /// True when this is itself an acknowledgement (MSH-9.1 `ACK`): never answer it with an ACK.
    public var isAcknowledgment: Bool { messageCode.uppercased() == "ACK" }
}
