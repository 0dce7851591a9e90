// The binary form of caseload events inside an inbound record (record version 2). Layout:
//
//   u32 event_count, then per event: u8 tag, then the entity's fields in declaration order
//   (str = u32 length + UTF-8; opt_i64 = u8 present + i64; lists = u32 count + items).
//
// Tags and field order are a stored format: append new fields at the end of an entity behind
// a version bump, never reorder.
public import Caseload

/// Encodes and decodes ``CaseloadEvent`` lists.
public enum CaseloadEventCodec {
    /// `referral` (6) is the first layout of a referral; `referralWithSource` (7), written since
    /// the outbox, appends the encounter that caused it.
    enum Tag: UInt8 { case patient = 1, encounter = 2, careCase = 3, task = 4, appointment = 5, referral = 6, referralWithSource = 7 }

    public static func encode(_ events: [CaseloadEvent]) -> [UInt8] {
        var writer = PayloadWriter(capacity: 64 + events.count * 96)
        encode(events, into: &writer)
        return writer.output
    }

    static func encode(_ events: [CaseloadEvent], into w: inout PayloadWriter) {
        w.u32(UInt32(events.count))
        for event in events { encode(event, into: &w) }
    }

    /// One event: its tag, then the entity's fields.
    static func encode(_ event: CaseloadEvent, into w: inout PayloadWriter) {
        switch event {
        case .patient(let p):
            w.u8(Tag.patient.rawValue)
            w.string(p.id)
            w.u32(UInt32(p.identifiers.count))
            for identifier in p.identifiers {
                w.string(identifier.value)
                w.string(identifier.authority)
                w.string(identifier.type)
            }
            for text in [p.familyName, p.givenName, p.birthDate, p.sex, p.phone] { w.string(text) }
            w.strings(p.contacts)
            w.optionalString(p.mergedInto)
        case .encounter(let e):
            w.u8(Tag.encounter.rawValue)
            for text in [e.id, e.patientID, e.patientClass, e.location, e.priorLocation, e.attending] { w.string(text) }
            w.optionalI64(e.admittedAt)
            w.optionalI64(e.dischargedAt)
            w.string(e.dischargeDisposition)
            w.u8(e.status.rawValue)
        case .careCase(let c):
            w.u8(Tag.careCase.rawValue)
            w.string(c.id)
            w.string(c.patientID)
            w.optionalString(c.coordinatorID)
            w.u8(c.status.rawValue)
            w.i64(c.openedAt)
            w.optionalI64(c.closedAt)
            w.string(c.closeReason)
            w.strings(c.encounterIDs)
            w.strings(c.riskFlags)
        case .task(let t):
            w.u8(Tag.task.rawValue)
            w.string(t.id)
            w.u8(t.kind.rawValue)
            w.string(t.caseID)
            w.string(t.patientID)
            w.i64(t.dueAt)
            w.u8(t.status.rawValue)
            w.string(t.resolution)
            w.optionalI64(t.resolvedAt)
            w.string(t.source)
        case .appointment(let a):
            w.u8(Tag.appointment.rawValue)
            w.string(a.id)
            w.string(a.patientID)
            w.optionalI64(a.startsAt)
            w.u32(UInt32(clamping: max(0, a.durationMinutes)))
            for text in [a.reason, a.location, a.provider] { w.string(text) }
            w.u8(a.status.rawValue)
        case .referral(let r):
            w.u8(Tag.referralWithSource.rawValue)
            w.string(r.id)
            w.string(r.patientID)
            w.u8(r.direction.rawValue)
            for text in [r.partner, r.priority, r.type, r.reason] { w.string(text) }
            w.u8(r.status.rawValue)
            w.string(r.partnerReference)
            w.i64(r.updatedAt)
            w.string(r.source)
        }
    }

    /// A decision (or its absence) inside an inbound record.
    static func encode(_ decision: CaseloadDecision?, into w: inout PayloadWriter) {
        guard let decision else { return w.u8(0) }
        w.u8(1)
        encode(decision.events, into: &w)
        w.string(decision.patientID)
        w.i64(decision.at)
        w.strings(decision.changes)
    }

    static func decodeDecision(from r: inout PayloadReader) throws(RecordDecodingError) -> CaseloadDecision? {
        guard try r.u8() != 0 else { return nil }
        let events = try decode(from: &r)
        return CaseloadDecision(events: events, patientID: try r.string(), changes: [], at: 0).with(at: try r.i64(), changes: try r.strings())
    }

    public static func decode(_ bytes: [UInt8]) throws(RecordDecodingError) -> [CaseloadEvent] {
        var reader = PayloadReader(bytes)
        return try decode(from: &reader)
    }

    static func decode(from r: inout PayloadReader) throws(RecordDecodingError) -> [CaseloadEvent] {
        let count = Int(try r.u32())
        guard count <= r.remaining else { throw RecordDecodingError(offset: r.offset, message: "event count \(count) exceeds the payload") }
        var events: [CaseloadEvent] = []
        events.reserveCapacity(count)
        for _ in 0..<count { events.append(try decodeEvent(from: &r)) }
        return events
    }

    /// One event written by ``encode(_:into:)``.
    static func decodeEvent(from r: inout PayloadReader) throws(RecordDecodingError) -> CaseloadEvent {
        let tagOffset = r.offset
        guard let tag = Tag(rawValue: try r.u8()) else { throw RecordDecodingError(offset: tagOffset, message: "unknown event tag") }
        switch tag {
        case .patient:
            let id = try r.string()
            let identifierCount = Int(try r.u32())
            guard identifierCount <= r.remaining else { throw RecordDecodingError(offset: r.offset, message: "identifier count too large") }
            var identifiers: [PatientIdentifier] = []
            for _ in 0..<identifierCount {
                identifiers.append(PatientIdentifier(value: try r.string(), authority: try r.string(), type: try r.string()))
            }
            return .patient(Patient(
                id: id, identifiers: identifiers, familyName: try r.string(), givenName: try r.string(), birthDate: try r.string(),
                sex: try r.string(), phone: try r.string(), contacts: try r.strings(), mergedInto: try r.optionalString()))
        case .encounter:
            return .encounter(Encounter(
                id: try r.string(), patientID: try r.string(), patientClass: try r.string(), location: try r.string(),
                priorLocation: try r.string(), attending: try r.string(), admittedAt: try r.optionalI64(),
                dischargedAt: try r.optionalI64(), dischargeDisposition: try r.string(),
                status: try r.enumeration(Encounter.Status.self)))
        case .careCase:
            return .careCase(CareCase(
                id: try r.string(), patientID: try r.string(), coordinatorID: try r.optionalString(),
                status: try r.enumeration(CareCase.Status.self), openedAt: try r.i64(), closedAt: try r.optionalI64(),
                closeReason: try r.string(), encounterIDs: try r.strings(), riskFlags: try r.strings()))
        case .task:
            return .task(CareTask(
                id: try r.string(), kind: try r.enumeration(CareTask.Kind.self), caseID: try r.string(), patientID: try r.string(),
                dueAt: try r.i64(), status: try r.enumeration(CareTask.Status.self), resolution: try r.string(),
                resolvedAt: try r.optionalI64(), source: try r.string()))
        case .appointment:
            return .appointment(Appointment(
                id: try r.string(), patientID: try r.string(), startsAt: try r.optionalI64(), durationMinutes: Int(try r.u32()),
                reason: try r.string(), location: try r.string(), provider: try r.string(),
                status: try r.enumeration(Appointment.Status.self)))
        case .referral, .referralWithSource:
            return .referral(Referral(
                id: try r.string(), patientID: try r.string(), direction: try r.enumeration(Referral.Direction.self),
                partner: try r.string(), priority: try r.string(), type: try r.string(), reason: try r.string(),
                status: try r.enumeration(Referral.Status.self), partnerReference: try r.string(), updatedAt: try r.i64(),
                source: tag == .referralWithSource ? try r.string() : ""))
        }
    }
}

extension CaseloadDecision {
    fileprivate func with(at: Int64, changes: [String]) -> CaseloadDecision {
        var copy = self
        copy.at = at
        copy.changes = changes
        return copy
    }
}

extension PayloadWriter {
    mutating func strings(_ values: [String]) {
        u32(UInt32(values.count))
        for value in values { string(value) }
    }

    mutating func optionalString(_ value: String?) {
        u8(value == nil ? 0 : 1)
        if let value { string(value) }
    }

    mutating func optionalI64(_ value: Int64?) {
        u8(value == nil ? 0 : 1)
        if let value { i64(value) }
    }
}

extension PayloadReader {
    mutating func strings() throws(RecordDecodingError) -> [String] {
        let count = Int(try u32())
        guard count <= remaining else { throw RecordDecodingError(offset: offset, message: "list count \(count) exceeds the payload") }
        var values: [String] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try string()) }
        return values
    }

    mutating func optionalString() throws(RecordDecodingError) -> String? {
        try u8() == 0 ? nil : try string()
    }

    mutating func optionalI64() throws(RecordDecodingError) -> Int64? {
        try u8() == 0 ? nil : try i64()
    }

    mutating func enumeration<T: RawRepresentable>(_: T.Type) throws(RecordDecodingError) -> T where T.RawValue == UInt8 {
        let at = offset
        guard let value = T(rawValue: try u8()) else { throw RecordDecodingError(offset: at, message: "unknown \(T.self) value") }
        return value
    }
}
