// The ACK timestamp (MSH-7): UTC to the millisecond.
import HL7

enum CivilTime {
    /// The HL7 timestamp (to the millisecond, `+0000`) of `microseconds` since the Unix epoch.
    static func timestamp(microseconds: Int64) -> HL7Timestamp {
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        var stamp = HL7Timestamp(secondsSince1970: Int(seconds), utcOffsetMinutes: 0)
        let millis = Int((microseconds - seconds * 1_000_000) / 1_000)
        stamp.fractionDigits = String(millis + 1000).dropFirst().description  // three digits, zero-padded
        return stamp
    }
}
