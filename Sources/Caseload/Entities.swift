// The caseload's entities: plain values, no I/O. Times are seconds since the Unix epoch (UTC);
// identifiers are the strings the hospital systems use, qualified where they could collide.

/// One patient identifier (PID-3 repetition): the value, its assigning authority and type.
public struct PatientIdentifier: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// CX.1.
    public var value: String
    /// CX.4 (namespace id, else universal id); empty when the sender gave none.
    public var authority: String
    /// CX.5 (MR, PI, SS, ...); empty when not given.
    public var type: String

    public init(value: String, authority: String = "", type: String = "") {
        self.value = value
        self.authority = authority
        self.type = type
    }

    /// `AUTHORITY:VALUE` (or `VALUE` without an authority): how queries name a patient.
    public var key: String { authority.isEmpty ? value : authority + ":" + value }
    public var description: String { key }
    public static func < (a: Self, b: Self) -> Bool { (a.authority, a.value, a.type) < (b.authority, b.value, b.type) }
}

/// A person in the hospital's master patient index, as the messages describe them.
public struct Patient: Hashable, Sendable {
    /// Stable id inside Switchboard: the key of the first identifier seen (medical record
    /// number preferred).
    public var id: String
    public var identifiers: [PatientIdentifier]
    public var familyName: String
    public var givenName: String
    /// PID-7 as sent (`YYYYMMDD`), empty when unknown.
    public var birthDate: String
    /// PID-8 (F, M, O, U, A, N), empty when unknown.
    public var sex: String
    /// Home phone (PID-13), empty when unknown.
    public var phone: String
    /// Next of kin / contact persons (NK1-2 names with NK1-3 relationship), `Name (relationship)`.
    public var contacts: [String]
    /// Set when this record was merged into another (A40): the surviving patient's id.
    public var mergedInto: String?

    public init(id: String, identifiers: [PatientIdentifier], familyName: String = "", givenName: String = "",
                birthDate: String = "", sex: String = "", phone: String = "", contacts: [String] = [], mergedInto: String? = nil) {
        self.id = id
        self.identifiers = identifiers
        self.familyName = familyName
        self.givenName = givenName
        self.birthDate = birthDate
        self.sex = sex
        self.phone = phone
        self.contacts = contacts
        self.mergedInto = mergedInto
    }
}

/// A hospital visit (PV1).
public struct Encounter: Hashable, Sendable {
    public enum Status: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case preadmitted = 0, active = 1, discharged = 2, cancelled = 3
        public var description: String { ["preadmitted", "active", "discharged", "cancelled"][Int(rawValue)] }
    }

    /// The visit number (PV1-19), or a synthesized `PATIENT/ADMIT-TIME` when the sender gave none.
    public var id: String
    public var patientID: String
    /// PV1-2: I inpatient, O outpatient, E emergency, P preadmit, ...
    public var patientClass: String
    /// PV1-3 as `point of care^room^bed` (facility dropped); the unit is the point of care.
    public var location: String
    /// The location before the last transfer (for A12).
    public var priorLocation: String
    /// PV1-7: `ID name` of the attending doctor.
    public var attending: String
    public var admittedAt: Int64?
    public var dischargedAt: Int64?
    /// PV1-36 (01 home, 06 home health, 03 skilled nursing, ...).
    public var dischargeDisposition: String
    public var status: Status

    public init(id: String, patientID: String, patientClass: String = "", location: String = "", priorLocation: String = "",
                attending: String = "", admittedAt: Int64? = nil, dischargedAt: Int64? = nil, dischargeDisposition: String = "",
                status: Status = .active) {
        self.id = id
        self.patientID = patientID
        self.patientClass = patientClass
        self.location = location
        self.priorLocation = priorLocation
        self.attending = attending
        self.admittedAt = admittedAt
        self.dischargedAt = dischargedAt
        self.dischargeDisposition = dischargeDisposition
        self.status = status
    }

    /// The unit: the point of care of the location.
    public var unit: String {
        guard let caret = location.firstIndex(of: "^") else { return location }
        return String(location[..<caret])
    }
}

/// A patient in the care-coordination programme.
public struct CareCase: Hashable, Sendable {
    public enum Status: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case open = 0, closed = 1, cancelled = 2
        public var description: String { ["open", "closed", "cancelled"][Int(rawValue)] }
    }

    /// `C-1`, `C-2`, ... in order of opening.
    public var id: String
    public var patientID: String
    /// The coordinator, or nil: in the unassigned queue.
    public var coordinatorID: String?
    public var status: Status
    public var openedAt: Int64
    public var closedAt: Int64?
    /// Why it closed (`all tasks done`, `merged into C-3`, `admission cancelled`).
    public var closeReason: String
    /// Encounters this case covers, in order.
    public var encounterIDs: [String]
    /// Risk flags (`readmission-30d`, ...), sorted.
    public var riskFlags: [String]

    public init(id: String, patientID: String, coordinatorID: String?, status: Status = .open, openedAt: Int64,
                closedAt: Int64? = nil, closeReason: String = "", encounterIDs: [String] = [], riskFlags: [String] = []) {
        self.id = id
        self.patientID = patientID
        self.coordinatorID = coordinatorID
        self.status = status
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.closeReason = closeReason
        self.encounterIDs = encounterIDs
        self.riskFlags = riskFlags
    }
}

/// A care coordinator (from configuration, not from messages).
public struct Coordinator: Hashable, Sendable, Codable {
    public var id: String
    public var name: String
    public var team: String
    /// Open cases this coordinator can carry.
    public var capacity: Int

    public init(id: String, name: String, team: String, capacity: Int) {
        self.id = id
        self.name = name
        self.team = team
        self.capacity = capacity
    }
}

/// A follow-up duty of the care team.
public struct CareTask: Hashable, Sendable {
    public enum Kind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case initialAssessment = 0, postDischargeContact = 1, followUpAppointment = 2, readmissionReview = 3, reschedule = 4
        public var description: String {
            ["initial-assessment", "post-discharge-contact", "follow-up-appointment", "readmission-review", "reschedule"][Int(rawValue)]
        }
    }

    public enum Status: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case open = 0, satisfied = 1, cancelled = 2
        public var description: String { ["open", "satisfied", "cancelled"][Int(rawValue)] }
    }

    /// `T-1`, `T-2`, ...
    public var id: String
    public var kind: Kind
    public var caseID: String
    public var patientID: String
    public var dueAt: Int64
    public var status: Status
    /// What satisfied or cancelled it (`appointment A-77 booked`, `discharge cancelled`).
    public var resolution: String
    public var resolvedAt: Int64?
    /// The encounter or appointment that gave rise to it.
    public var source: String

    public init(id: String, kind: Kind, caseID: String, patientID: String, dueAt: Int64, status: Status = .open,
                resolution: String = "", resolvedAt: Int64? = nil, source: String = "") {
        self.id = id
        self.kind = kind
        self.caseID = caseID
        self.patientID = patientID
        self.dueAt = dueAt
        self.status = status
        self.resolution = resolution
        self.resolvedAt = resolvedAt
        self.source = source
    }
}

/// A scheduled visit (SIU).
public struct Appointment: Hashable, Sendable {
    public enum Status: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case booked = 0, cancelled = 1, deleted = 2, noShow = 3
        public var description: String { ["booked", "cancelled", "deleted", "no-show"][Int(rawValue)] }
    }

    /// SCH-1 (placer) or SCH-2 (filler) appointment id.
    public var id: String
    public var patientID: String
    public var startsAt: Int64?
    public var durationMinutes: Int
    /// SCH-7 reason (text or code), AIL location, AIP/AIG resource.
    public var reason: String
    public var location: String
    public var provider: String
    public var status: Status

    public init(id: String, patientID: String, startsAt: Int64? = nil, durationMinutes: Int = 0, reason: String = "",
                location: String = "", provider: String = "", status: Status = .booked) {
        self.id = id
        self.patientID = patientID
        self.startsAt = startsAt
        self.durationMinutes = durationMinutes
        self.reason = reason
        self.location = location
        self.provider = provider
        self.status = status
    }
}

/// A referral to or from a partner.
public struct Referral: Hashable, Sendable {
    public enum Direction: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case inbound = 0, outbound = 1
        public var description: String { ["inbound", "outbound"][Int(rawValue)] }
    }

    public enum Status: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case pending = 0, accepted = 1, rejected = 2, cancelled = 3, completed = 4
        public var description: String { ["pending", "accepted", "rejected", "cancelled", "completed"][Int(rawValue)] }
    }

    /// RF1-6 (originating referral id).
    public var id: String
    public var patientID: String
    public var direction: Direction
    /// The other party: the sending facility (MSH-4) for inbound referrals, the destination for ours.
    public var partner: String
    /// RF1-1 status, RF1-2 priority, RF1-3 type, RF1-10 reason as sent (identifier or text).
    public var priority: String
    public var type: String
    public var reason: String
    public var status: Status
    /// The partner's own reference (RRI's RF1-11 external id), when known.
    public var partnerReference: String
    public var updatedAt: Int64
    /// For referrals a rule made: the encounter whose discharge caused it (empty otherwise).
    public var source: String

    public init(id: String, patientID: String, direction: Direction, partner: String, priority: String = "", type: String = "",
                reason: String = "", status: Status = .pending, partnerReference: String = "", updatedAt: Int64, source: String = "") {
        self.id = id
        self.patientID = patientID
        self.direction = direction
        self.partner = partner
        self.priority = priority
        self.type = type
        self.reason = reason
        self.status = status
        self.partnerReference = partnerReference
        self.updatedAt = updatedAt
        self.source = source
    }
}

/// One line of the audit trail: which message changed what.
public struct AuditEntry: Hashable, Sendable {
    /// The journal sequence of the inbound record.
    public var sequence: UInt64
    /// MSH-10 and MSH-9 of the message.
    public var controlID: String
    public var messageType: String
    /// When the change took effect (the message's event time).
    public var at: Int64
    public var patientID: String
    /// The changes, one sentence each.
    public var changes: [String]

    public init(sequence: UInt64, controlID: String, messageType: String, at: Int64, patientID: String, changes: [String]) {
        self.sequence = sequence
        self.controlID = controlID
        self.messageType = messageType
        self.at = at
        self.patientID = patientID
        self.changes = changes
    }
}
