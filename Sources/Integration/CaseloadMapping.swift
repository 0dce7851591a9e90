// HL7 v2 (ER7, or XML mapped to ER7) → caseload commands (DESIGN §5; docs/DOMAIN.md).
public import Caseload
public import HL7

/// Reads the segments a caseload command needs. Versions 2.3 to 2.8 share these positions.
public struct CaseloadMapping: Sendable {
    /// The offset (minutes) assumed for timestamps sent without one.
    public var assumedUTCOffsetMinutes: Int

    public init(assumedUTCOffsetMinutes: Int = 0) {
        self.assumedUTCOffsetMinutes = assumedUTCOffsetMinutes
    }

    /// The command for a message, `nil` when the message type has no caseload effect (an ACK,
    /// or an event Switchboard accepts but does not map). Throws a ``CaseloadError`` naming the
    /// field when a required value is missing or malformed.
    public func command(for message: HL7Message, header: HL7Header) throws(CaseloadError) -> CaseloadCommand? {
        let type = header.messageCode.uppercased(), event = header.triggerEvent.uppercased()
        let action: CaseloadCommand.Action
        switch (type, event) {
        case ("ADT", "A01"): action = .admit(.admit)
        case ("ADT", "A04"): action = .admit(.register)
        case ("ADT", "A05"): action = .admit(.preadmit)
        case ("ADT", "A02"): action = .transfer
        case ("ADT", "A03"): action = .discharge
        case ("ADT", "A06"), ("ADT", "A07"): action = .changeClass
        case ("ADT", "A08"), ("ADT", "A28"), ("ADT", "A31"): action = .update
        case ("ADT", "A11"): action = .cancelAdmit
        case ("ADT", "A12"): action = .cancelTransfer
        case ("ADT", "A13"): action = .cancelDischarge
        case ("ADT", "A40"): action = .merge(prior: try identifiers(message, "MRG-1"))
        case ("SIU", _):
            guard let appointmentAction = Self.appointmentActions[event] else { return nil }
            action = .appointment(appointmentAction, try appointment(message))
        case ("REF", _):
            guard let referralAction = Self.referralActions[event] else { return nil }
            action = .referral(referralAction, try referral(message), partner: partner(header))
        case ("RRI", "I12"):
            action = .referralResponse(try referral(message), partner: partner(header))
        default:
            return nil
        }
        let patient = try patientFacts(message)
        let visit = visitFacts(message)
        return CaseloadCommand(action: action, patient: patient, visit: visit, at: eventTime(message, header: header, visit: visit, action: action))
    }

    /// At most this many identifiers (PID-3, MRG-1) and contacts (NK1) are read.
    static let maxRepetitions = 32

    static let appointmentActions: [String: CaseloadCommand.AppointmentAction] = [
        "S12": .book, "S13": .reschedule, "S14": .modify, "S15": .cancel, "S17": .delete, "S26": .noShow,
    ]
    static let referralActions: [String: CaseloadCommand.ReferralAction] = ["I12": .new, "I13": .modify, "I14": .cancel]

    // MARK: Segments

    func patientFacts(_ message: HL7Message) throws(CaseloadError) -> PatientFacts {
        let ids = try identifiers(message, "PID-3")
        var facts = PatientFacts(identifiers: ids)
        if let pid = message.segment("PID") {
            let name = pid[5].repetitions.first ?? pid[5]  // XPN-1 family, XPN-2 given
            facts.familyName = name.part(1).nonEmptyText ?? ""
            facts.givenName = name.part(2).nonEmptyText ?? ""
            facts.birthDate = String(pid[7].text.prefix(8))
            facts.sex = pid[8].text
            facts.phone = HL7TelecomNumber(pid[13].repetitions.first ?? pid[13]).formatted ?? pid[13].component(1).text
        }
        facts.contacts = message.segments(named: "NK1").prefix(Self.maxRepetitions).compactMap { nk1 in
            let name = HL7PersonName(nk1[2].repetitions.first ?? nk1[2])
            let full = [name.given, name.family].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            guard !full.isEmpty else { return nil }
            let relationship = HL7CodedElement(nk1[3])
            let label = relationship.text ?? relationship.identifier ?? ""
            return label.isEmpty ? full : "\(full) (\(label))"
        }
        return facts
    }

    /// PID-3 or MRG-1: every repetition with an id.
    func identifiers(_ message: HL7Message, _ path: String) throws(CaseloadError) -> [PatientIdentifier] {
        let segmentID = String(path.prefix(3)), field = Int(path.dropFirst(4)) ?? 3
        guard let segment = message.segment(named: segmentID) else {
            throw CaseloadError(code: 100, location: segmentID, message: "segment \(segmentID) is required")
        }
        // Bounded: a hostile message with 100,000 repetitions must not make a decision (taken
        // under the caseload lock) slow. Real patients have a handful of identifiers.
        // CX-1 id, CX-4 assigning authority, CX-5 type: read part by part (this runs for every
        // message; building the whole CX would decode all its parts).
        let identifiers = segment[field].repetitions.prefix(Self.maxRepetitions).compactMap { value -> PatientIdentifier? in
            guard let id = value.part(1).nonEmptyText, id != "\"\"" else { return nil }
            return PatientIdentifier(value: id, authority: authority(value.part(4)), type: value.part(5).nonEmptyText ?? "")
        }
        guard !identifiers.isEmpty else {
            throw CaseloadError(code: 101, location: path, message: "\(path) holds no identifier")
        }
        return identifiers
    }

    /// An HD's namespace id, else its universal id (CX-4, the assigning authority).
    private func authority(_ hd: HL7Value) -> String {
        hd.part(1).nonEmptyText ?? hd.part(2).nonEmptyText ?? ""
    }

    func visitFacts(_ message: HL7Message) -> VisitFacts? {
        guard let pv1 = message.segment("PV1"), pv1.fieldCount > 1 else { return nil }
        var visit = VisitFacts()
        // Read part by part (CX-1/CX-4, PL-1...3, XCN-1/XCN-2), not as whole composites.
        let number = pv1[19]
        if let id = number.part(1).nonEmptyText {
            let authority = authority(number.part(4))
            visit.visitNumber = authority.isEmpty ? id : authority + ":" + id
        }
        visit.patientClass = pv1[2].component(1).text.uppercased()
        let location = pv1[3]
        visit.location = (1...3).map { location.part($0).nonEmptyText ?? "" }.joined(separator: "^")
        if visit.location == "^^" { visit.location = "" }
        while visit.location.hasSuffix("^") { visit.location.removeLast() }
        let attending = pv1[7].repetitions.first ?? pv1[7]
        visit.attending = [attending.part(1).nonEmptyText, attending.part(2).nonEmptyText].compactMap { $0 }.joined(separator: " ")
        visit.admittedAt = seconds(pv1[44])
        visit.dischargedAt = seconds(pv1[45].repetitions.first ?? pv1[45])
        visit.dischargeDisposition = pv1[36].component(1).text
        return visit
    }

    func appointment(_ message: HL7Message) throws(CaseloadError) -> AppointmentFacts {
        guard let sch = message.segment("SCH") else { throw CaseloadError(code: 100, location: "SCH", message: "segment SCH is required") }
        let placer = sch[1].component(1).text, filler = sch[2].component(1).text
        guard !(placer.isEmpty && filler.isEmpty) else {
            throw CaseloadError(code: 101, location: "SCH-1", message: "SCH-1 or SCH-2 (appointment id) is required")
        }
        var facts = AppointmentFacts(id: placer.isEmpty ? filler : placer)
        // SCH-11 (TQ: start in component 4) in v2.5 and earlier; AIS-4 / AIL-6 / AIP-6 otherwise.
        let ais = message.segment("AIS")
        facts.startsAt = seconds(sch[11].component(4)) ?? ais.flatMap { seconds($0[4]) }
            ?? message.segment("AIL").flatMap { seconds($0[6]) } ?? message.segment("AIP").flatMap { seconds($0[6]) }
        facts.durationMinutes = Int(sch[9].text) ?? Int(sch[11].component(3).text) ?? ais.flatMap { Int($0[7].text) } ?? 0
        let reason = HL7CodedElement(sch[7])
        facts.reason = reason.text ?? reason.identifier ?? ""
        if let ail = message.segment("AIL") { facts.location = HL7PersonLocation(ail[3]).pointOfCare ?? "" }
        if let aip = message.segment("AIP") {
            let staff = HL7StaffMember(aip[3].repetitions.first ?? aip[3])
            facts.provider = [staff.id, staff.family].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        }
        return facts
    }

    func referral(_ message: HL7Message) throws(CaseloadError) -> ReferralFacts {
        guard let rf1 = message.segment("RF1") else { throw CaseloadError(code: 100, location: "RF1", message: "segment RF1 is required") }
        let id = rf1[6].component(1).text
        guard !id.isEmpty else { throw CaseloadError(code: 101, location: "RF1-6", message: "RF1-6 (originating referral identifier) is required") }
        func coded(_ value: HL7Value) -> String {
            let element = HL7CodedElement(value)
            return element.identifier ?? element.text ?? ""
        }
        let reason = HL7CodedElement(rf1[10].repetitions.first ?? rf1[10])
        return ReferralFacts(id: id, statusCode: coded(rf1[1]), priority: coded(rf1[2]), type: coded(rf1[3]),
                             reason: reason.text ?? reason.identifier ?? "", externalID: rf1[11].component(1).text)
    }

    func partner(_ header: HL7Header) -> String {
        let facility = header.sendingFacility.split(separator: "^", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return facility.isEmpty ? header.sendingApplication : facility
    }

    // MARK: Time

    /// Admission or discharge time for those events, else EVN-6 (occurred), EVN-2 (recorded),
    /// MSH-7.
    func eventTime(_ message: HL7Message, header: HL7Header, visit: VisitFacts?, action: CaseloadCommand.Action) -> Int64 {
        switch action {
        case .admit: if let admitted = visit?.admittedAt { return admitted }
        case .discharge: if let discharged = visit?.dischargedAt { return discharged }
        default: break
        }
        if let evn = message.segment("EVN"), let time = seconds(evn[6]) ?? seconds(evn[2]) { return time }
        return seconds(header.dateTime) ?? 0
    }

    func seconds(_ value: HL7Value) -> Int64? { seconds(value.component(1).text) }

    func seconds(_ text: String) -> Int64? {
        guard !text.isEmpty, let timestamp = HL7Timestamp(text) else { return nil }
        return Int64(timestamp.secondsSince1970(assumedOffsetMinutes: assumedUTCOffsetMinutes).rounded(.down))
    }
}
