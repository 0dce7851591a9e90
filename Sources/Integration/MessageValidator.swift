// Validation of a parsed message against what Switchboard handles (DESIGN §3's table).
import HL7

/// Why a parsed message is refused: the ACK outcome and its ERR segments.
struct Rejection: Sendable {
    var outcome: HL7Acknowledgment.Outcome
    var errors: [HL7Acknowledgment.ErrorDetail]

    /// AE/CE with one ERR at `location` (`PID`, `PID-3`, `MSH-9`).
    static func error(_ code: HL7ErrorCode, _ location: String?, _ text: String) -> Rejection {
        Rejection(outcome: .error, errors: [.init(code: code, location: location.map(parseLocation), diagnostic: text)])
    }

    /// AR/CR with one ERR at `location`.
    static func rejected(_ code: HL7ErrorCode, _ location: String?, _ text: String) -> Rejection {
        Rejection(outcome: .rejected, errors: [.init(code: code, location: location.map(parseLocation), diagnostic: text)])
    }

    /// `SEG` or `SEG-n`, as the validator writes them.
    private static func parseLocation(_ text: String) -> HL7Acknowledgment.Location {
        let parts = text.split(separator: "-", maxSplits: 1)
        return HL7Acknowledgment.Location(segmentID: String(parts[0]), field: parts.count > 1 ? Int(parts[1]) : nil)
    }
}

/// Checks header fields, supported type/event/version/processing id, required segments and
/// fields, and the data types of the timestamps Switchboard reads. The diagnostics name fields,
/// never their patient content.
struct MessageValidator: Sendable {
    let configuration: InboundConfiguration

    func validate(_ message: HL7Message, header: HL7Header) -> Rejection? {
        // Required MSH fields (AE 101). Without MSH-10 no duplicate detection is possible. The
        // header already holds their first components: only an empty one needs the field read.
        let known = [header.dateTime, header.messageCode, header.controlID, header.processingID, header.version]
        for (required, first) in zip(Paths.requiredHeaderFields, known) where isNull(first) && isEmpty(message, required.path) {
            return .error(.requiredFieldMissing, "\(required.path)", "\(required.name) is required")
        }
        let version = header.version
        guard configuration.supportedVersions.contains(version) else {
            return .rejected(.unsupportedVersionID, "MSH-12", "version '\(clip(version))' is not supported (2.3 to 2.8 are)")
        }
        let processingID = upper(header.processingID)
        guard configuration.acceptedProcessingIDs.contains(processingID) else {
            return .rejected(.unsupportedProcessingID, "MSH-11", "processing id '\(clip(processingID))' is not accepted")
        }
        let type = upper(header.messageCode)
        guard let events = configuration.supportedEvents[type] else {
            return .rejected(.unsupportedMessageType, "MSH-9", "message type '\(clip(type))' is not supported")
        }
        let event = upper(header.triggerEvent)
        guard events.contains(event) else {
            return .rejected(.unsupportedEventCode, "MSH-9", "event '\(clip(type))^\(clip(event))' is not supported")
        }
        if !header.dateTime.isEmpty, header.dateTime != "\"\"", HL7Timestamp(header.dateTime) == nil {
            return .error(.dataTypeError, "MSH-7", "MSH-7 is not a valid date/time (YYYY[MM[DD[HHMM[SS[.S]]]]][+/-ZZZZ])")
        }
        return validateBody(message, type: type, event: event)
    }

    /// Empty or the HL7 null `""`.
    private func isNull(_ text: String) -> Bool { text.isEmpty || text == "\"\"" }

    /// Upper-cased, without allocating when it already is (the usual case).
    private func upper(_ text: String) -> String {
        text.utf8.contains(where: { $0 >= 0x61 && $0 <= 0x7A }) || !text.utf8.allSatisfy({ $0 < 0x80 }) ? text.uppercased() : text
    }

    private func validateBody(_ message: HL7Message, type: String, event: String) -> Rejection? {
        switch type {
        case "ADT":
            guard message.segment("PID") != nil else {
                return .error(.requiredFieldMissing, "PID", "segment PID is required in \(type)^\(event)")
            }
            if isEmpty(message, Paths.patientIdentifiers) { return .error(.requiredFieldMissing, "PID-3", "PID-3 (patient identifier list) is required") }
            if event == "A40" {
                guard message.segment("MRG") != nil else { return .error(.requiredFieldMissing, "MRG", "segment MRG is required in ADT^A40") }
                if isEmpty(message, Paths.priorIdentifiers) { return .error(.requiredFieldMissing, "MRG-1", "MRG-1 (prior patient identifier list) is required") }
            }
        case "SIU":
            guard message.segment("SCH") != nil else { return .error(.requiredFieldMissing, "SCH", "segment SCH is required in SIU^\(event)") }
            if isEmpty(message, Paths.placerAppointment) && isEmpty(message, Paths.fillerAppointment) {
                return .error(.requiredFieldMissing, "SCH-1", "SCH-1 or SCH-2 (placer or filler appointment id) is required")
            }
        case "REF", "RRI":
            guard message.segment("PID") != nil else {
                return .error(.requiredFieldMissing, "PID", "segment PID is required in \(type)^\(event)")
            }
        default:
            break
        }
        for path in Paths.bodyTimestamps {
            if let bad = badTimestamp(message, path) { return bad }
        }
        return nil
    }

    /// Paths parsed once, not per message.
    private enum Paths {
        struct Required {
            var path: HL7Path
            var name: String
        }

        static let requiredHeaderFields: [Required] = [
            .init(path: "MSH-7", name: "MSH-7 (date/time of message)"), .init(path: "MSH-9", name: "MSH-9 (message type)"),
            .init(path: "MSH-10", name: "MSH-10 (message control id)"), .init(path: "MSH-11", name: "MSH-11 (processing id)"),
            .init(path: "MSH-12", name: "MSH-12 (version id)"),
        ]
        static let patientIdentifiers: HL7Path = "PID-3"
        static let priorIdentifiers: HL7Path = "MRG-1"
        static let placerAppointment: HL7Path = "SCH-1"
        static let fillerAppointment: HL7Path = "SCH-2"
        static let bodyTimestamps: [HL7Path] = ["EVN-2", "PID-7", "PV1-44", "PV1-45"]
    }

    private func isEmpty(_ message: HL7Message, _ path: HL7Path) -> Bool {
        guard let value = message.value(at: path) else { return true }
        let raw = value.rawText
        return raw.isEmpty || raw == "\"\""
    }

    /// AE 102 when the first component at `path` is valued but is not a valid DTM.
    private func badTimestamp(_ message: HL7Message, _ path: HL7Path) -> Rejection? {
        guard let text = message.value(at: path)?.text, !text.isEmpty, text != "\"\"" else { return nil }
        guard HL7Timestamp(text) == nil else { return nil }
        return .error(.dataTypeError, "\(path)", "\(path) is not a valid date/time (YYYY[MM[DD[HHMM[SS[.S]]]]][+/-ZZZZ])")
    }

    /// Caps echoed header values so a hostile header cannot bloat the ACK.
    private func clip(_ text: String) -> String {
        text.count <= 20 ? text : String(text.prefix(20)) + "…"
    }
}
