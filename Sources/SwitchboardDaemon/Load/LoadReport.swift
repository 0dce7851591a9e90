/// The figures of a load run.
public struct LoadReport: Sendable, Hashable {
    /// The run id (MSH-10 prefix).
    public var runID: String
    public var connections: Int
    public var window: Int
    /// Messages requested.
    public var messages: Int
    /// Messages answered with an ACK (any code).
    public var acknowledged: Int
    /// Wall-clock seconds from the first connect to the last ACK.
    public var seconds: Double
    /// ACK latency percentiles and maximum, in milliseconds (from the first send of a message).
    public var p50Milliseconds: Double
    public var p99Milliseconds: Double
    public var maxMilliseconds: Double
    /// ACKs whose MSA-1 was not AA/CA.
    public var notAccepted: Int
    /// ACKs whose MSA-2 was not the message's MSH-10 (or without a readable MSA).
    public var mismatched: Int
    /// Messages that never got an ACK.
    public var unanswered: Int
    /// Messages sent again after a timeout or lost connection.
    public var resends: Int
    public var reconnects: Int

    /// Messages acknowledged per second.
    public var messagesPerSecond: Double { seconds > 0 ? Double(acknowledged) / seconds : 0 }
    /// Everything that is not an AA/CA for the right control id.
    public var failures: Int { notAccepted + mismatched + unanswered }

    /// A small table for people.
    public var table: String {
        func fixed(_ value: Double, _ digits: Int) -> String {
            var scale = 1.0
            for _ in 0..<digits { scale *= 10 }
            let rounded = (value * scale).rounded() / scale
            var text = String(rounded)
            if let dot = text.firstIndex(of: ".") {
                let decimals = text.distance(from: dot, to: text.endIndex) - 1
                if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
            }
            return text
        }
        let rows: [(String, String)] = [
            ("run", runID),
            ("connections x window", "\(connections) x \(window)"),
            ("messages", "\(messages)"),
            ("acknowledged", "\(acknowledged)"),
            ("seconds", fixed(seconds, 3)),
            ("messages/s", fixed(messagesPerSecond, 0)),
            ("ACK latency p50 ms", fixed(p50Milliseconds, 3)),
            ("ACK latency p99 ms", fixed(p99Milliseconds, 3)),
            ("ACK latency max ms", fixed(maxMilliseconds, 3)),
            ("failures", "\(failures) (not AA \(notAccepted), MSA-2 mismatch \(mismatched), unanswered \(unanswered))"),
            ("resends", "\(resends) (reconnects \(reconnects))"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 }.joined(separator: "\n")
    }

    /// One JSON object on one line (TESTPLAN: every test prints one JSON line of figures).
    public var jsonLine: String {
        func number(_ value: Double) -> String { value.isFinite ? String(value) : "null" }
        var escapedRun = ""
        for scalar in runID.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { escapedRun += "\\" + String(scalar) }
            else if scalar.value < 0x20 { escapedRun += " " }
            else { escapedRun.unicodeScalars.append(scalar) }
        }
        let fields = [
            "\"run\":\"\(escapedRun)\"", "\"connections\":\(connections)", "\"window\":\(window)",
            "\"messages\":\(messages)", "\"acknowledged\":\(acknowledged)", "\"seconds\":\(number(seconds))",
            "\"messages_per_s\":\(number(messagesPerSecond))", "\"ack_p50_ms\":\(number(p50Milliseconds))",
            "\"ack_p99_ms\":\(number(p99Milliseconds))", "\"ack_max_ms\":\(number(maxMilliseconds))",
            "\"failures\":\(failures)", "\"not_accepted\":\(notAccepted)", "\"mismatched\":\(mismatched)",
            "\"unanswered\":\(unanswered)", "\"resends\":\(resends)", "\"reconnects\":\(reconnects)",
        ]
        return "{" + fields.joined(separator: ",") + "}"
    }
}
