// The quality report as JSON (`/api/v1/reports/summary`, `switchboard caseload report --json`)
// and as text for people.
public import Caseload

extension CaseloadViews {
    public struct ReportView: Codable, Sendable, Equatable {
        public struct Coordinator: Codable, Sendable, Equatable {
            public var id: String
            public var name: String
            public var team: String
            public var capacity: Int
            public var openCases: Int
            public var overdueTasks: Int
        }

        public struct DischargeContacts: Codable, Sendable, Equatable {
            public var discharges: Int
            public var contactedInTime: Int
            public var contactedLate: Int
            public var notContacted: Int
            public var notYetDue: Int
            /// In time / (in time + late + not contacted), 0...1; null when none is due yet.
            public var shareInTime: Double?
        }

        public struct Readmissions: Codable, Sendable, Equatable {
            public var windowDays: Int
            public var discharges: Int
            public var readmissions: Int
            public var rate: Double?
        }

        public var at: String
        public var since: String
        public var openCases: Int
        public var unassignedOpenCases: Int
        public var coordinators: [Coordinator]
        public var overdueTasks: Int
        public var overdueTasksByKind: [String: Int]
        public var dischargeContacts: DischargeContacts
        public var readmissions: Readmissions
    }

    public static func report(_ report: QualityReport) -> ReportView {
        let contacts = report.dischargeContacts
        return ReportView(
            at: time(report.at), since: time(report.since), openCases: report.openCases,
            unassignedOpenCases: report.unassignedOpenCases,
            coordinators: report.coordinators.map {
                .init(id: $0.id, name: $0.name, team: $0.team, capacity: $0.capacity, openCases: $0.openCases, overdueTasks: $0.overdueTasks)
            },
            overdueTasks: report.overdueTasks, overdueTasksByKind: report.overdueTasksByKind,
            dischargeContacts: .init(discharges: contacts.discharges, contactedInTime: contacts.contactedInTime,
                                     contactedLate: contacts.contactedLate, notContacted: contacts.notContacted,
                                     notYetDue: contacts.notYetDue, shareInTime: contacts.shareInTime.map(rounded)),
            readmissions: .init(windowDays: report.readmissions.windowDays, discharges: report.readmissions.discharges,
                                readmissions: report.readmissions.readmissions, rate: report.readmissions.rate.map(rounded)))
    }

    /// The report for a person, one figure per line.
    public static func text(_ view: ReportView) -> String {
        func percent(_ share: Double?) -> String { share.map { "\(Int(($0 * 100).rounded()))%" } ?? "n/a" }
        var lines = ["Caseload report at \(view.at) (discharges and admissions since \(view.since))", ""]
        lines.append("Open cases: \(view.openCases) (\(view.unassignedOpenCases) unassigned)")
        for c in view.coordinators {
            let who = c.name.isEmpty ? c.id : "\(c.id) \(c.name)"
            let team = c.team.isEmpty ? "" : " [\(c.team)]"
            let capacity = c.capacity > 0 ? "/\(c.capacity)" : ""
            lines.append("  \(who)\(team): \(c.openCases)\(capacity) open, \(c.overdueTasks) overdue tasks")
        }
        lines.append("Overdue tasks: \(view.overdueTasks)"
            + (view.overdueTasksByKind.isEmpty ? "" : " (" + view.overdueTasksByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"))
        let d = view.dischargeContacts
        lines.append("Discharges contacted within the business-day window: \(percent(d.shareInTime)) "
            + "(\(d.contactedInTime) in time, \(d.contactedLate) late, \(d.notContacted) not contacted, \(d.notYetDue) not yet due; \(d.discharges) discharges)")
        let r = view.readmissions
        lines.append("Readmissions within \(r.windowDays) days: \(r.readmissions) of \(r.discharges) discharges (\(percent(r.rate)))")
        return lines.joined(separator: "\n")
    }

    private static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}
