// The one JSON line each fault test prints with its figures (TESTPLAN "Tests").

/// `{"test":"T13","pass":true,...figures}`, keys in the order they were set.
///
/// ```swift
/// var report = FaultReport("T13")
/// report["close_after_bytes"] = .int(1_110_122)
/// report.pass = closed && rssOK
/// report.emit()
/// ```
public struct FaultReport: Sendable {
    /// A figure's value.
    public enum Value: Sendable {
        case int(Int)
        case double(Double)
        case bool(Bool)
        case string(String)
        case strings([String])

        var json: String {
            switch self {
            case .int(let v): return String(v)
            case .double(let v): return v.isFinite ? String((v * 100).rounded() / 100) : "null"
            case .bool(let v): return v ? "true" : "false"
            case .string(let v): return FaultReport.quote(v)
            case .strings(let v): return "[" + v.map(FaultReport.quote).joined(separator: ",") + "]"
            }
        }
    }

    public let test: String
    public var pass = false
    private var figures: [(String, Value)] = []

    public init(_ test: String) { self.test = test }

    public subscript(key: String) -> Value? {
        get { figures.first { $0.0 == key }?.1 }
        set {
            figures.removeAll { $0.0 == key }
            if let newValue { figures.append((key, newValue)) }
        }
    }

    /// The JSON line.
    public var line: String {
        var text = "{\"test\":\(Self.quote(test)),\"pass\":\(pass)"
        for (key, value) in figures { text += ",\(Self.quote(key)):\(value.json)" }
        return text + "}"
    }

    /// Prints the line to standard output.
    public func emit() { print(line) }

    /// `{"test":"T7","skipped":"reason"}`: the line of a test that cannot run on this machine.
    public static func skippedLine(_ test: String, reason: String) -> String {
        "{\"test\":\(quote(test)),\"skipped\":\(quote(reason))}"
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// The `p`-th percentile (0...100, nearest rank) of `values`; 0 when empty.
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank - 1, 0), sorted.count - 1)]
    }
}
