// TESTPLAN verifier: reads a state directory's journal offline (the daemon stopped, or idle)
// through the stable `switchboard journal dump --format jsonl` interface, and answers which
// control ids were stored with which disposition, how often.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The journal of a state directory as `switchboard journal dump --format jsonl` prints it.
///
/// ```swift
/// let journal = JournalVerifier.read(executable: Fixture.executable, stateDirectory: daemon.stateDirectory)
/// #expect(journal.isClean)
/// let counts = journal.acceptedCounts           // control id -> accepted records
/// ```
public struct JournalVerifier: Sendable {
    /// One record of the dump (inbound message records only; other kinds have no control id).
    public struct Entry: Sendable, Equatable {
        public var sequence: UInt64
        public var controlID: String
        /// `accepted`, `rejected`, `quarantined` or `ignored`.
        public var disposition: String
        /// MSA-1 as journaled (empty when nothing was answered).
        public var ackCode: String
        public var messageType: String
    }

    /// Inbound records in journal order.
    public var entries: [Entry]
    /// Records of other kinds (no `kind":"inbound"`).
    public var otherRecords: Int
    /// The dump's exit status (1 when it found damage).
    public var status: Int32
    /// The `problem` of a `crc_ok:false` line (torn tail or corruption), if any.
    public var problem: String?
    /// The dump's standard error.
    public var errorOutput: String

    /// Whether the dump ran through without finding damage.
    public var isClean: Bool { status == 0 && problem == nil }

    /// Control id → number of records with disposition `accepted`.
    public var acceptedCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for entry in entries where entry.disposition == "accepted" { counts[entry.controlID, default: 0] += 1 }
        return counts
    }

    /// Control id → number of records of any disposition.
    public var recordCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for entry in entries { counts[entry.controlID, default: 0] += 1 }
        return counts
    }

    /// Runs `executable journal dump --state stateDirectory --format jsonl` and parses its lines.
    public static func read(executable: String, stateDirectory: String) -> JournalVerifier {
        let dump = CommandRunner.run(executable, ["journal", "dump", "--state", stateDirectory, "--format", "jsonl"])
        return parse(jsonl: dump.output, status: dump.status, errorOutput: dump.errorOutput)
    }

    /// Parses dump output (exposed for self-tests).
    public static func parse(jsonl: String, status: Int32 = 0, errorOutput: String = "") -> JournalVerifier {
        var entries: [Entry] = []
        var other = 0
        var problem: String?
        for line in jsonl.split(separator: "\n") where line.hasPrefix("{") {
            if line.contains("\"crc_ok\":false") {
                problem = stringField("problem", in: line) ?? String(line)
                continue
            }
            guard stringField("kind", in: line) == "inbound" else {
                other += 1
                continue
            }
            entries.append(Entry(
                sequence: numberField("seq", in: line) ?? 0,
                controlID: stringField("control_id", in: line) ?? "",
                disposition: stringField("disposition", in: line) ?? "",
                ackCode: stringField("ack_code", in: line) ?? "",
                messageType: stringField("message_type", in: line) ?? ""))
        }
        return JournalVerifier(entries: entries, otherRecords: other, status: status, problem: problem, errorOutput: errorOutput)
    }

    /// Total bytes of the files in `<state>/journal`.
    public static func journalBytes(stateDirectory: String) -> Int {
        TemporaryDirectory.walk(stateDirectory + "/journal").reduce(0) { total, entry in
            var info = stat()
            guard entry.mode & S_IFMT == S_IFREG, stat(entry.path, &info) == 0 else { return total }
            return total + Int(info.st_size)
        }
    }

    /// The string value of `"key":"..."` in one JSON line (escapes `\"`, `\\`, `\n`, `\r`, `\t`,
    /// `\uXXXX` decoded).
    static func stringField(_ key: String, in line: Substring) -> String? {
        guard let range = line.firstRange(of: "\"\(key)\":\"") else { return nil }
        var result = ""
        var scalars = line[range.upperBound...].unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar {
            case "\"":
                return result
            case "\\":
                guard let escaped = scalars.next() else { return nil }
                switch escaped {
                case "n": result += "\n"
                case "r": result += "\r"
                case "t": result += "\t"
                case "u":
                    var hex = ""
                    for _ in 0..<4 { if let digit = scalars.next() { hex.unicodeScalars.append(digit) } }
                    if let value = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(value) { result.unicodeScalars.append(decoded) }
                default: result.unicodeScalars.append(escaped)
                }
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return nil
    }

    /// The unsigned integer value of `"key":123` in one JSON line.
    static func numberField(_ key: String, in line: Substring) -> UInt64? {
        guard let range = line.firstRange(of: "\"\(key)\":") else { return nil }
        return UInt64(line[range.upperBound...].prefix { $0.isASCII && $0.isNumber })
    }
}
