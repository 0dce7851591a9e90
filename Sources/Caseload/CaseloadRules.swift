// The care team's rules, with defaults a care team would accept (config: `rules:`).

/// Which encounters open a case, who gets it, and which tasks follow.
public struct CaseloadRules: Sendable, Hashable {
    /// A team of coordinators covering some units (no units: every unit).
    public struct Team: Sendable, Hashable {
        public var name: String
        public var units: Set<String>
        public init(name: String, units: Set<String> = []) {
            self.name = name
            self.units = units
        }
    }

    /// Patient classes (PV1-2) whose admission opens a case. Default: inpatients.
    public var caseOpeningClasses: Set<String> = ["I"]
    /// Units (PV1-3.1) whose admissions open a case; empty: every unit.
    public var caseOpeningUnits: Set<String> = []
    public var teams: [Team] = []
    public var coordinators: [Coordinator] = []
    /// A patient's coordinator from a case closed this recently keeps them (continuity).
    public var continuityDays = 90
    /// Initial assessment due this long after admission.
    public var initialAssessmentHours = 24
    /// Post-discharge contact due within this many business days of discharge.
    public var postDischargeContactBusinessDays = 2
    /// A follow-up appointment should be booked within this many days of discharge.
    public var followUpAppointmentDays = 7
    /// An admission this soon after a discharge is a readmission (risk flag + review task).
    public var readmissionWindowDays = 30
    /// A cancelled or missed appointment asks for a reschedule within this many business days.
    public var rescheduleBusinessDays = 2
    /// Business calendar: weekends and these dates are not business days.
    public var calendar = BusinessCalendar()
    /// Discharges that refer the patient to a partner (outbound REF^I12 through the outbox).
    /// Default: disposition `06` (discharged to home health care) refers to `home-health`.
    public var referralRules: [ReferralRule] = [.homeHealth]

    public init() {}

    /// The rules a discharge with this disposition (PV1-36) matches, in order.
    public func referralRules(forDisposition disposition: String) -> [ReferralRule] {
        guard !disposition.isEmpty else { return [] }
        return referralRules.filter { $0.dispositions.contains(disposition) }
    }

    /// True when an encounter of this class in this unit opens a case.
    public func opensCase(patientClass: String, unit: String) -> Bool {
        caseOpeningClasses.contains(patientClass.uppercased()) && (caseOpeningUnits.isEmpty || caseOpeningUnits.contains(unit))
    }

    /// The teams covering a unit: those naming it, else those naming no unit.
    func teams(covering unit: String) -> Set<String> {
        let named = teams.filter { $0.units.contains(unit) }.map(\.name)
        if !named.isEmpty { return Set(named) }
        return Set(teams.filter { $0.units.isEmpty }.map(\.name))
    }
}

/// When a discharge refers the patient to a partner, and what the referral says.
public struct ReferralRule: Sendable, Hashable {
    /// Discharge dispositions (PV1-36, HL7 table 0112) that trigger it.
    public var dispositions: Set<String>
    /// The destination's configured name (`destinations:`); also the referral's partner.
    public var destination: String
    /// RF1-2 priority (table 0280: S stat, A ASAP, R routine).
    public var priority: String
    /// RF1-3 type (table 0281: Hom home care, Med, Psy, Lab, Rad, Skn).
    public var type: String
    /// RF1-10 reason, in words.
    public var reason: String

    public init(dispositions: Set<String>, destination: String, priority: String = "R", type: String = "", reason: String = "") {
        self.dispositions = dispositions
        self.destination = destination
        self.priority = priority
        self.type = type
        self.reason = reason
    }

    /// Disposition 06 (home health care) → `home-health`, routine, home care.
    public static let homeHealth = ReferralRule(
        dispositions: ["06"], destination: "home-health", priority: "R", type: "Hom", reason: "Home health care after discharge")

    /// The id of the referral this rule makes for an encounter: stable, so a repeated discharge
    /// or a replay finds the same referral instead of making another. A later one for the same
    /// encounter (after a withdrawal) is `...#2`, `#3`: `#` so that it cannot be read as another
    /// destination's name.
    public func referralID(encounterID: String, occurrence: Int = 1) -> String {
        "OUT-\(encounterID)-\(destination)" + (occurrence > 1 ? "#\(occurrence)" : "")
    }
}

/// Business days: Monday to Friday, minus holidays, in the care team's local time.
public struct BusinessCalendar: Sendable, Hashable {
    /// Holidays as `YYYY-MM-DD`.
    public var holidays: Set<String> = []
    /// The care team's offset from UTC, in minutes (dates and "end of day" are local).
    public var utcOffsetMinutes = 0

    public init(holidays: Set<String> = [], utcOffsetMinutes: Int = 0) {
        self.holidays = holidays
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// The end (23:59:59 local) of the `count`-th business day after the day of `time`.
    public func endOfBusinessDay(_ count: Int, after time: Int64) -> Int64 {
        var day = localDay(time)
        var remaining = max(count, 0)
        while remaining > 0 {
            day += 1
            if isBusinessDay(day) { remaining -= 1 }
        }
        return (day + 1) * 86_400 - 1 - Int64(utcOffsetMinutes) * 60
    }

    /// Whether the local day number (days since 1970-01-01) is a business day.
    public func isBusinessDay(_ day: Int64) -> Bool {
        let weekday = ((day % 7) + 11) % 7  // 0 = Sunday; 1970-01-01 was a Thursday
        return weekday != 0 && weekday != 6 && !holidays.contains(Self.date(ofDay: day))
    }

    /// Days since 1970-01-01 of `time` in local time.
    public func localDay(_ time: Int64) -> Int64 {
        let local = time + Int64(utcOffsetMinutes) * 60
        return local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
    }

    /// `2026-11-29T14:00:00Z` of seconds since the epoch (UTC).
    public static func isoTimestamp(_ time: Int64) -> String {
        let day = time >= 0 ? time / 86_400 : (time - 86_399) / 86_400
        let seconds = time - day * 86_400
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(date(ofDay: day))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
    }

    /// `YYYY-MM-DD` of a day number (proleptic Gregorian; Howard Hinnant's civil_from_days).
    public static func date(ofDay day: Int64) -> String {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d))"
    }
}
