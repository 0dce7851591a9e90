// The caseload as JSON for people and programs: the admin API (`/api/v1/...`) and
// `switchboard caseload ... --json` print the same shapes.
public import Caseload
import Foundation

/// Read-only views of a ``CaseloadState``.
public enum CaseloadViews {
    public struct PatientView: Codable, Sendable, Equatable {
        public var id: String
        public var identifiers: [String]
        public var name: String
        public var birthDate: String
        public var sex: String
        public var phone: String
        public var contacts: [String]
        public var mergedInto: String?
    }

    public struct EncounterView: Codable, Sendable, Equatable {
        public var id: String
        public var patientClass: String
        public var location: String
        public var attending: String
        public var admittedAt: String?
        public var dischargedAt: String?
        public var dischargeDisposition: String
        public var status: String
    }

    public struct CaseView: Codable, Sendable, Equatable {
        public var id: String
        public var patientID: String
        public var coordinator: String?
        public var status: String
        public var openedAt: String
        public var closedAt: String?
        public var closeReason: String
        public var encounters: [String]
        public var riskFlags: [String]
    }

    public struct TaskView: Codable, Sendable, Equatable {
        public var id: String
        public var kind: String
        public var caseID: String
        public var patientID: String
        public var coordinator: String?
        public var dueAt: String
        public var status: String
        public var resolution: String
        public var source: String
    }

    public struct AppointmentView: Codable, Sendable, Equatable {
        public var id: String
        public var patientID: String
        public var startsAt: String?
        public var reason: String
        public var location: String
        public var provider: String
        public var status: String
    }

    public struct ReferralView: Codable, Sendable, Equatable {
        public var id: String
        public var patientID: String
        public var direction: String
        public var partner: String
        public var priority: String
        public var type: String
        public var reason: String
        public var status: String
        public var partnerReference: String
    }

    public struct PatientDetail: Codable, Sendable, Equatable {
        public var patient: PatientView
        public var encounters: [EncounterView]
        public var cases: [CaseView]
        public var tasks: [TaskView]
        public var appointments: [AppointmentView]
        public var referrals: [ReferralView]
        public var riskFlags: [String]
    }

    public struct AuditView: Codable, Sendable, Equatable {
        public var sequence: UInt64
        public var controlID: String
        public var messageType: String
        public var at: String
        public var changes: [String]
    }

    public struct CoordinatorView: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var team: String
        public var capacity: Int
        public var openCases: Int
    }

    // MARK: Builders

    public static func patient(_ p: Patient) -> PatientView {
        PatientView(id: p.id, identifiers: p.identifiers.map { $0.type.isEmpty ? $0.key : "\($0.key) (\($0.type))" },
                    name: [p.givenName, p.familyName].filter { !$0.isEmpty }.joined(separator: " "),
                    birthDate: p.birthDate, sex: p.sex, phone: p.phone, contacts: p.contacts, mergedInto: p.mergedInto)
    }

    public static func encounter(_ e: Encounter) -> EncounterView {
        EncounterView(id: e.id, patientClass: e.patientClass, location: e.location, attending: e.attending,
                      admittedAt: e.admittedAt.map(time), dischargedAt: e.dischargedAt.map(time),
                      dischargeDisposition: e.dischargeDisposition, status: "\(e.status)")
    }

    public static func careCase(_ c: CareCase) -> CaseView {
        CaseView(id: c.id, patientID: c.patientID, coordinator: c.coordinatorID, status: "\(c.status)", openedAt: time(c.openedAt),
                 closedAt: c.closedAt.map(time), closeReason: c.closeReason, encounters: c.encounterIDs, riskFlags: c.riskFlags)
    }

    public static func task(_ t: CareTask, in state: borrowing CaseloadState) -> TaskView {
        TaskView(id: t.id, kind: "\(t.kind)", caseID: t.caseID, patientID: t.patientID, coordinator: state.cases[t.caseID]?.coordinatorID,
                 dueAt: time(t.dueAt), status: "\(t.status)", resolution: t.resolution, source: t.source)
    }

    public static func appointment(_ a: Appointment) -> AppointmentView {
        AppointmentView(id: a.id, patientID: a.patientID, startsAt: a.startsAt.map(time), reason: a.reason, location: a.location,
                        provider: a.provider, status: "\(a.status)")
    }

    public static func referral(_ r: Referral) -> ReferralView {
        ReferralView(id: r.id, patientID: r.patientID, direction: "\(r.direction)", partner: r.partner, priority: r.priority,
                     type: r.type, reason: r.reason, status: "\(r.status)", partnerReference: r.partnerReference)
    }

    /// Everything about one patient, or nil when the identifier names none.
    public static func patientDetail(_ identifier: String, in state: borrowing CaseloadState) -> PatientDetail? {
        guard let p = state.patient(matching: identifier) else { return nil }
        let cases = state.cases(of: p.id).sorted { number($0.id) < number($1.id) }
        return PatientDetail(
            patient: patient(p), encounters: state.encounters(of: p.id).map(encounter), cases: cases.map(careCase),
            tasks: state.tasks(of: p.id).sorted { number($0.id) < number($1.id) }.map { task($0, in: state) },
            appointments: state.appointments(of: p.id).map(appointment), referrals: state.referrals(of: p.id).map(referral),
            riskFlags: Array(Set(cases.filter { $0.status == .open }.flatMap(\.riskFlags))).sorted())
    }

    /// Cases, newest first, optionally only of one status or coordinator.
    public static func cases(status: String?, coordinator: String?, in state: borrowing CaseloadState) -> [CaseView] {
        state.cases.values
            .filter { status == nil || "\($0.status)" == status }
            .filter { coordinator == nil || $0.coordinatorID == coordinator || (coordinator == "unassigned" && $0.coordinatorID == nil) }
            .sorted { number($0.id) > number($1.id) }
            .map(careCase)
    }

    /// Open tasks (or all with `includeResolved`), soonest due first.
    public static func tasks(dueBefore: Int64?, coordinator: String?, includeResolved: Bool, in state: borrowing CaseloadState) -> [TaskView] {
        var selected: [CareTask] = []
        for task in state.tasks.values {
            if !includeResolved && task.status != .open { continue }
            if let dueBefore, task.dueAt >= dueBefore { continue }
            if let coordinator {
                let owner = state.cases[task.caseID]?.coordinatorID
                if coordinator == "unassigned" ? owner != nil : owner != coordinator { continue }
            }
            selected.append(task)
        }
        return selected.sorted { ($0.dueAt, number($0.id)) < ($1.dueAt, number($1.id)) }.map { task($0, in: state) }
    }

    public static func referrals(in state: borrowing CaseloadState) -> [ReferralView] {
        state.referrals.values.sorted { $0.id < $1.id }.map(referral)
    }

    public static func coordinators(_ rules: CaseloadRules, in state: borrowing CaseloadState) -> [CoordinatorView] {
        rules.coordinators.map {
            CoordinatorView(id: $0.id, name: $0.name, team: $0.team, capacity: $0.capacity, openCases: state.openCaseCount(of: $0.id))
        }
    }

    public static func history(_ identifier: String, in state: borrowing CaseloadState) -> [AuditView]? {
        guard let p = state.patient(matching: identifier) else { return nil }
        let ids = Set([p.id] + state.patients.values.filter { $0.mergedInto == p.id }.map(\.id))
        return state.audit.filter { ids.contains($0.patientID) }.map {
            AuditView(sequence: $0.sequence, controlID: $0.controlID, messageType: $0.messageType, at: time($0.at), changes: $0.changes)
        }
    }

    /// JSON text (keys sorted, pretty when asked).
    public static func json(_ value: some Encodable, pretty: Bool = true) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `2026-11-29T14:00:00Z`.
    public static func time(_ seconds: Int64) -> String { BusinessCalendar.isoTimestamp(seconds) }

    static func number(_ id: String) -> Int {
        guard let dash = id.lastIndex(of: "-") else { return 0 }
        return Int(id[id.index(after: dash)...]) ?? 0
    }
}
