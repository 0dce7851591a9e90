import ArgumentParser
import Glibc
import CaseloadStore
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
            length, crc_ok and time; for an inbound message record also received_at, listener, \
            peer, sending_application, sending_facility, control_id, message_type, ack_code, \
            disposition, encoding, duplicate (true when the record reused a stored message's key \
            with other content: ERR 205), errors and raw_length (a stable interface). Patient \
            content is never printed. Damage ends the dump with a line whose crc_ok is false, and \
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
            walk = try JournalMaintenance.dumpPayloads(directory: directory, from: from) { segment, record, payload in
                let bytes = Array(payload)
                let inbound = InboundRecordCodec.kind(of: bytes) == .inbound ? try? InboundRecordCodec.decode(bytes) : nil
                print(line(seq: record.sequence, segment: segment, offset: record.offset, length: record.payloadLength,
                           crcOK: true, time: record.timestamp, reason: nil, inbound: inbound))
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

    private func line(
        seq: UInt64?, segment: String, offset: Int64, length: Int?, crcOK: Bool, time: Int64?, reason: String?,
        inbound: InboundRecord? = nil
    ) -> String {
        switch format {
        case .text:
            var text = "seq=\(seq.map(String.init) ?? "-") segment=\(segment) offset=\(offset)"
            text += " length=\(length.map(String.init) ?? "-") crc=\(crcOK ? "ok" : "BAD")"
            if let time { text += " time=\(iso8601(time))" }
            if let reason { text += " problem=\"\(reason)\"" }
            if let inbound {
                text += " \(inbound.disposition) type=\(inbound.messageType) control_id=\(inbound.controlID)"
                text += " ack=\(inbound.ackCode.isEmpty ? "-" : inbound.ackCode) peer=\(inbound.peer)"
                if inbound.duplicateKeyConflict { text += " duplicate=true" }
            }
            return text
        case .jsonl:
            var json = "{\"seq\":\(seq.map(String.init) ?? "null"),\"segment\":\"\(segment)\",\"offset\":\(offset)"
            json += ",\"length\":\(length.map(String.init) ?? "null"),\"crc_ok\":\(crcOK)"
            json += ",\"time\":" + (time.map { "\"\(iso8601($0))\"" } ?? "null")
            if let reason { json += ",\"problem\":\"\(jsonEscaped(reason))\"" }
            if let inbound { json += inboundFields(inbound) }
            return json + "}"
        }
    }
}

/// The stable inbound keys of `journal dump --format jsonl` (DESIGN §7), with a leading comma.
func inboundFields(_ record: InboundRecord) -> String {
    func string(_ key: String, _ value: String) -> String { ",\"\(key)\":\"\(jsonEscaped(value))\"" }
    var json = string("kind", "inbound")
    json += string("received_at", iso8601(record.receivedAtMicroseconds * 1_000))
    json += string("listener", record.listener) + string("peer", record.peer)
    json += string("sending_application", record.sendingApplication) + string("sending_facility", record.sendingFacility)
    json += string("control_id", record.controlID) + string("message_type", record.messageType)
    json += string("ack_code", record.ackCode) + string("disposition", "\(record.disposition)")
    json += string("encoding", "\(record.encoding)")
    json += ",\"duplicate\":\(record.duplicateKeyConflict)"
    json += ",\"errors\":[" + record.errors.map { error in
        "{\"code\":\(error.code),\"location\":\"\(jsonEscaped(error.location))\",\"text\":\"\(jsonEscaped(error.text))\"}"
    }.joined(separator: ",") + "]"
    json += ",\"raw_length\":\(record.rawLength)"
    return json
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
