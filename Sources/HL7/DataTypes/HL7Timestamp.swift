/// An HL7 date/time (DTM, the first component of TS): `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`.
///
/// Precision and the UTC offset are kept as written: `202611291430-0500` is to the minute in
/// UTC−5, and formats back to exactly that text. Nothing is filled in or converted unless asked.
public struct HL7Timestamp: Hashable, Sendable, CustomStringConvertible {
    /// How much of the value was given.
    public enum Precision: Int, Hashable, Sendable, Comparable {
        case year, month, day, hour, minute, second, fractionalSecond
        public static func < (a: Precision, b: Precision) -> Bool { a.rawValue < b.rawValue }
    }

    public var year: Int
    public var month: Int?
    public var day: Int?
    public var hour: Int?
    public var minute: Int?
    public var second: Int?
    /// Fractional-second digits as written (1 to 4), e.g. `"25"` for `.25`.
    public var fractionDigits: String?
    /// Offset from UTC in minutes (`-0500` → −300), when given.
    public var utcOffsetMinutes: Int?
    /// `-0000` (UTC, local offset unknown, RFC 3339 style) is kept apart from `+0000`.
    var negativeZeroOffset = false

    /// The finest part present.
    public var precision: Precision {
        if fractionDigits != nil { return .fractionalSecond }
        if second != nil { return .second }
        if minute != nil { return .minute }
        if hour != nil { return .hour }
        if day != nil { return .day }
        if month != nil { return .month }
        return .year
    }

    /// Creates a timestamp from its parts; pass `nil` for parts beyond the precision.
    public init(year: Int, month: Int? = nil, day: Int? = nil, hour: Int? = nil, minute: Int? = nil,
                second: Int? = nil, fractionDigits: String? = nil, utcOffsetMinutes: Int? = nil) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.fractionDigits = fractionDigits
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// Parses DTM text; `nil` when it is not a valid date/time (month 13, 30 February, 25:00,
    /// a 3-digit offset, trailing text…).
    public init?(_ text: some StringProtocol) {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            i += n
            return v
        }
        func atOffsetOrEnd() -> Bool { i == b.count || b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") }
        guard let y = digits(4) else { return nil }
        year = y
        month = nil; day = nil; hour = nil; minute = nil; second = nil; fractionDigits = nil; utcOffsetMinutes = nil
        if !atOffsetOrEnd() {
            guard let m = digits(2), (1...12).contains(m) else { return nil }
            month = m
            if !atOffsetOrEnd() {
                guard let d = digits(2), d >= 1, d <= HL7Timestamp.daysIn(month: m, year: y) else { return nil }
                day = d
                if !atOffsetOrEnd() {
                    guard let h = digits(2), h <= 23 else { return nil }
                    hour = h
                    if !atOffsetOrEnd() {
                        guard let mi = digits(2), mi <= 59 else { return nil }
                        minute = mi
                        if !atOffsetOrEnd() {
                            guard let s = digits(2), s <= 59 else { return nil }
                            second = s
                            if i < b.count, b[i] == UInt8(ascii: ".") {
                                i += 1
                                let start = i
                                while i < b.count, b[i] >= 0x30, b[i] <= 0x39, i - start < 4 { i += 1 }
                                guard i > start else { return nil }
                                fractionDigits = String(decoding: b[start..<i], as: UTF8.self)
                            }
                        }
                    }
                }
            }
        }
        if i < b.count {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { return nil }
            i += 1
            guard let hh = digits(2), let mm = digits(2), hh <= 14, mm <= 59 else { return nil }
            utcOffsetMinutes = sign * (hh * 60 + mm)
            negativeZeroOffset = sign < 0 && hh == 0 && mm == 0
        }
        guard i == b.count else { return nil }
    }

    /// Reads the first component of a TS/DTM value; `nil` when empty or invalid.
    public init?(_ value: HL7Value) {
        guard let text = value.part(1).nonEmptyText else { return nil }
        self.init(text)
    }

    /// The DTM text, exactly as precise as the value.
    public var description: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var s = String(year)
        while s.count < 4 { s = "0" + s }
        if let month { s += two(month) }
        if let day { s += two(day) }
        if let hour { s += two(hour) }
        if let minute { s += two(minute) }
        if let second { s += two(second) }
        if let fractionDigits { s += "." + fractionDigits }
        if let utcOffsetMinutes {
            let a = abs(utcOffsetMinutes)
            s += (utcOffsetMinutes < 0 || negativeZeroOffset ? "-" : "+") + two(a / 60) + two(a % 60)
        }
        return s
    }

    /// Seconds since 1970-01-01T00:00:00Z, with missing parts taken as their start (January, the
    /// 1st, midnight) and a missing offset taken as `assumedOffsetMinutes`.
    public func secondsSince1970(assumedOffsetMinutes: Int = 0) -> Double {
        let days = HL7Timestamp.daysSince1970(year: year, month: month ?? 1, day: day ?? 1)
        var seconds = Double(days * 86_400 + (hour ?? 0) * 3_600 + (minute ?? 0) * 60 + (second ?? 0))
        if let fractionDigits, let f = Double("0." + fractionDigits) { seconds += f }
        return seconds - Double((utcOffsetMinutes ?? assumedOffsetMinutes) * 60)
    }

    /// The timestamp for `secondsSince1970` in the given offset, to the second.
    public init(secondsSince1970 t: Int, utcOffsetMinutes offset: Int = 0) {
        let local = t + offset * 60
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let secs = local - days * 86_400
        let (y, m, d) = HL7Timestamp.civil(fromDays: days)
        self.init(year: y, month: m, day: d, hour: secs / 3_600, minute: (secs % 3_600) / 60, second: secs % 60,
                  utcOffsetMinutes: offset)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month m: Int, year y: Int) -> Int {
        switch m {
        case 2: isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 (Howard Hinnant's `days_from_civil`).
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count from 1970-01-01 (`civil_from_days`).
    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
