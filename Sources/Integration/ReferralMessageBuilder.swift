// REF^I12 (new referral) and REF^I14 (cancel) built from the caseload, for the outbox (#8).
// v2.5.1 REF_I12: MSH, RF1, PRD (referring), PRD (referred-to), PID, DG1, PV1, NTE. Every value is
// escaped for the message's delimiters; segments end in CR.
public import Caseload
import HL7

/// Everything an outbound referral message says.
public struct OutboundReferral: Sendable, Equatable {
    public var referral: Referral
    public var patient: Patient
    /// The encounter that caused it (the discharge), if any.
    public var encounter: Encounter?
    /// MSH-3/4: us; MSH-5/6: the destination's application and facility.
    public var sendingApplication = "SWITCHBOARD"
    public var sendingFacility: String
    public var receivingApplication: String
    public var receivingFacility: String
    /// MSH-10, assigned once and kept across retries and restarts.
    public var controlID: String
    /// MSH-7, seconds since the epoch (UTC).
    public var at: Int64
    /// MSH-11: P production, T training.
    public var processingID = "P"
    /// Free text for NTE (the reason in words), if any.
    public var note: String = ""
    /// The diagnoses of the message that caused it (the discharge's DG1), written as DG1.
    public var diagnoses: [ReferralDiagnosis] = []

    public init(referral: Referral, patient: Patient, encounter: Encounter?, sendingFacility: String, receivingApplication: String,
                receivingFacility: String, controlID: String, at: Int64) {
        self.referral = referral
        self.patient = patient
        self.encounter = encounter
        self.sendingFacility = sendingFacility
        self.receivingApplication = receivingApplication
        self.receivingFacility = receivingFacility
        self.controlID = controlID
        self.at = at
    }
}

/// A diagnosis carried into a referral (DG1-3 code, text and coding system; DG1-6 type).
public struct ReferralDiagnosis: Sendable, Equatable {
    public var code: String
    public var text: String
    public var codingSystem: String
    /// DG1-6 (table 0052: A admitting, W working, F final).
    public var type: String

    public init(code: String, text: String = "", codingSystem: String = "", type: String = "") {
        self.code = code
        self.text = text
        self.codingSystem = codingSystem
        self.type = type
    }

    /// The DG1 segments of a message (those with a DG1-3 code or text).
    static func of(_ message: HL7Message) -> [ReferralDiagnosis] {
        message.segments(named: "DG1").compactMap { segment in
            let coded = segment.field(3)
            let diagnosis = ReferralDiagnosis(code: coded.component(1).text, text: coded.component(2).text,
                                              codingSystem: coded.component(3).text, type: segment.field(6).text)
            return diagnosis.code.isEmpty && diagnosis.text.isEmpty ? nil : diagnosis
        }
    }
}

/// Builds the ER7 of outbound referral messages.
public enum ReferralMessageBuilder {
    public enum Event: String, Sendable {
        /// A new referral.
        case newReferral = "I12"
        /// The referral is cancelled (e.g. the discharge was).
        case cancel = "I14"
    }

    /// The message, segments ending in CR.
    public static func build(_ event: Event, _ r: OutboundReferral) -> [UInt8] {
        var out = Writer()
        let time = HL7Timestamp(secondsSince1970: Int(r.at)).description
        // MSH-1 and MSH-2 are the delimiters themselves: written raw.
        out.raw("MSH|^~\\&")
        out.fields([r.sendingApplication, r.sendingFacility, r.receivingApplication, r.receivingFacility, time, ""])
        out.separator()
        out.components(["REF", event.rawValue, "REF_I12"])
        out.fields([r.controlID, r.processingID, "2.5.1", "", "", "AL", "NE"])
        out.end()

        // HL7 table 0283; the cancellation itself is the I14 event.
        let status: (String, String) = switch r.referral.status {
        case .accepted, .completed: ("A", "Accepted")
        case .rejected: ("R", "Rejected")
        case .pending, .cancelled: ("P", "Pending")
        }
        out.segment("RF1")
        out.separator()
        out.components([status.0, status.1, "HL70283"])
        out.fields([r.referral.priority, r.referral.type, "", "O"])
        out.separator()
        out.components([r.referral.id, "", r.sendingFacility])
        out.fields([time, "", time, r.referral.reason])
        out.end()

        out.segment("PRD")
        out.separator()
        out.components(["RP", "Referring Provider", "HL70286"])
        out.fields([r.sendingFacility])
        out.end()
        out.segment("PRD")
        out.separator()
        out.components(["RT", "Referred to Provider", "HL70286"])
        out.fields([r.referral.partner])
        out.end()

        out.segment("PID")
        out.fields(["1", ""])
        out.separator()
        out.repetitions(r.patient.identifiers.map { ["\($0.value)", "", "", $0.authority, $0.type] })
        out.fields([""])
        out.separator()
        out.components([r.patient.familyName, r.patient.givenName])
        out.fields(["", r.patient.birthDate, r.patient.sex])
        out.end()

        for (index, diagnosis) in r.diagnoses.enumerated() {
            out.segment("DG1")
            out.fields(["\(index + 1)", ""])
            out.separator()
            out.components([diagnosis.code, diagnosis.text, diagnosis.codingSystem])
            out.fields(["", "", diagnosis.type])
            out.end()
        }

        if let e = r.encounter {
            out.segment("PV1")
            out.fields(["1", e.patientClass])
            out.separator()
            out.components(e.location.split(separator: "^", omittingEmptySubsequences: false).map(String.init))
            // PV1-4 ... PV1-18 empty, PV1-19 visit number, PV1-20 ... PV1-35 empty, PV1-36 disposition.
            // An encounter without a hospital visit number has an id of ours (`patient/admitted`):
            // not sent as PV1-19.
            let visitNumber = e.id.hasPrefix(e.patientID + "/") ? "" : e.id
            out.fields(Array(repeating: "", count: 15) + [visitNumber] + Array(repeating: "", count: 16) + [e.dischargeDisposition])
            out.fields(Array(repeating: "", count: 7))
            out.fields([e.admittedAt.map { HL7Timestamp(secondsSince1970: Int($0)).description } ?? "",
                        e.dischargedAt.map { HL7Timestamp(secondsSince1970: Int($0)).description } ?? ""])
            out.end()
        }
        if !r.note.isEmpty {
            out.segment("NTE")
            out.fields(["1", "L", r.note])
            out.end()
        }
        return out.bytes
    }

    /// Appends fields, components and repetitions, escaping every value.
    private struct Writer {
        var bytes: [UInt8] = []

        mutating func raw(_ text: String) { bytes += text.utf8 }
        mutating func segment(_ id: String) { raw(id) }
        mutating func separator() { bytes.append(UInt8(ascii: "|")) }
        mutating func end() { bytes.append(0x0D) }

        /// A value escaped for the standard delimiters; control characters (a `\\X1C\\` the
        /// sender escaped comes back as the byte) written as `\\Xhh\\`: a raw 0x0B or 0x1C would
        /// cut the MLLP frame at the partner, and CR would end the segment.
        mutating func value(_ text: String) {
            for byte in HL7Escaping.encode(text, delimiters: .standard) {
                if byte < 0x20 || byte == 0x7F {
                    bytes += Array("\\X".utf8)
                    let hex = Array("0123456789ABCDEF".utf8)
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0x0F)])
                    bytes.append(UInt8(ascii: "\\"))
                } else {
                    bytes.append(byte)
                }
            }
        }

        /// `|a|b|c`.
        mutating func fields(_ values: [String]) {
            for text in values {
                separator()
                value(text)
            }
        }

        /// `a^b^c` (after a separator the caller wrote); trailing empty components dropped.
        mutating func components(_ values: [String]) {
            var values = values
            while values.last?.isEmpty == true { values.removeLast() }
            for (index, text) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: "^")) }
                value(text)
            }
        }

        /// `x^y~z^w`.
        mutating func repetitions(_ values: [[String]]) {
            for (index, components) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: "~")) }
                self.components(components)
            }
        }
    }
}
