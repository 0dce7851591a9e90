import ArgumentParser
import Glibc
import Journal

/// `switchboard journal dump --state DIR`: one line per record header.
struct JournalDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the header of every record: seq, segment, offset, length, checksum, time.",
        discussion: """
            Examples:
              switchboard journal dump --state /var/lib/switchboard --from 1000
              switchboard journal dump --state /var/lib/switchboard --format jsonl | jq .seq
            With --format jsonl each line is one JSON object with the keys seq, segment, offset, \
            length, crc_ok and time. Damage ends the dump with a line whose crc_ok is false, and \
            exit status 1.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, jsonl
    }

    @OptionGroup var options: StateDirectoryOption

    @Option(help: "Start at this sequence number.")
    var from: UInt64 = 1

    @Option(help: "Output format.")
    var format: Format = .text

    func run() throws {
        let directory = JournalConfiguration(stateDirectory: options.state).directory
        let walk: JournalWalk
        do {
            walk = try JournalMaintenance.dump(directory: directory, from: from) { segment, record in
                print(line(seq: record.sequence, segment: segment, offset: record.offset, length: record.payloadLength,
                           crcOK: true, time: record.timestamp, reason: nil))
            }
        } catch {
            throw CLIError(journal: error, directory: directory).report()
        }
        if let problem = walk.problem {
            print(line(seq: nil, segment: problem.location?.file ?? "", offset: problem.location?.offset ?? 0,
                       length: nil, crcOK: false, time: nil, reason: problem.message))
            throw ExitCode.workFailed
        }
        if let torn = walk.tornTail {
            print(line(seq: torn.expectedSequence, segment: torn.segment, offset: torn.offset, length: nil,
                       crcOK: false, time: nil, reason: "torn tail: \(torn.reason)"))
            throw ExitCode.workFailed
        }
    }

    private func line(seq: UInt64?, segment: String, offset: Int64, length: Int?, crcOK: Bool, time: Int64?, reason: String?) -> String {
        switch format {
        case .text:
            var text = "seq=\(seq.map(String.init) ?? "-") segment=\(segment) offset=\(offset)"
            text += " length=\(length.map(String.init) ?? "-") crc=\(crcOK ? "ok" : "BAD")"
            if let time { text += " time=\(iso8601(time))" }
            if let reason { text += " problem=\"\(reason)\"" }
            return text
        case .jsonl:
            var json = "{\"seq\":\(seq.map(String.init) ?? "null"),\"segment\":\"\(segment)\",\"offset\":\(offset)"
            json += ",\"length\":\(length.map(String.init) ?? "null"),\"crc_ok\":\(crcOK)"
            json += ",\"time\":" + (time.map { "\"\(iso8601($0))\"" } ?? "null")
            if let reason { json += ",\"problem\":\"\(jsonEscaped(reason))\"" }
            return json + "}"
        }
    }
}

/// Nanoseconds since the epoch as an ISO 8601 UTC timestamp with microseconds.
func iso8601(_ nanoseconds: Int64) -> String {
    var seconds = time_t(nanoseconds / 1_000_000_000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func pad(_ value: Int32, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    let micros = Int32((nanoseconds % 1_000_000_000) / 1000)
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
        + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(micros, 6))Z"
}

func jsonEscaped(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        default:
            if scalar.value < 0x20 { result += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16) }
            else { result.unicodeScalars.append(scalar) }
        }
    }
    return result
}
