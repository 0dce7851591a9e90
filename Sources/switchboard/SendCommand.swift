import ArgumentParser
import MLLP
import SwitchboardDaemon

/// `switchboard send --to HOST:PORT FILE...`
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send HL7 v2 messages over MLLP and report each ACK.",
        discussion: """
            Each message of each file goes out as one MLLP frame; the next is sent when its ACK \
            has arrived. An ER7 file may hold several messages or an FHS/BHS batch (headers and \
            trailers are not sent; segments are sent ending in CR); an HL7 v2.xml file is one \
            message, sent as it is. Every file is read and parsed before anything is sent.

            One line per message: FILE#N control_id=ID ack=CODE, then any ERR (err=CODE "text"). \
            A message fails when its ACK is not AA/CA, when MSA-2 is not its MSH-10, or when no \
            ACK comes within --timeout (the next message then goes out on a new connection).

            Exit codes: 0 every message accepted, 1 some message failed or the connection \
            could not be made, 2 bad usage or input.

            Examples:
              switchboard send --to 127.0.0.1:2575 samples/adt_a01.hl7
              switchboard send --to mllp.example.invalid:2575 --timeout 30 samples/*.hl7
              switchboard send --to mllp.example.invalid:2576 --tls-ca ca.pem --tls-cert me.pem --tls-key me.key adt.xml
            """
    )

    @Option(help: ArgumentHelp("Where to send: HOST:PORT ([ADDRESS]:PORT for IPv6).", valueName: "HOST:PORT"))
    var to: String

    @Option(help: "Seconds to wait for each ACK.")
    var timeout: Double = 10

    @OptionGroup var tls: ClientTLSOptions

    @Argument(help: "Files of ER7 messages or HL7 v2.xml documents.")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one FILE") }
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
    }

    func run() async throws {
        let endpoint: MLLPEndpoint
        let tls: MLLPClientTLSConfiguration?
        var messages: [OutboundMessage] = []
        do throws(CLIError) {
            do {
                endpoint = try MLLPEndpoint(parsing: to)
            } catch {
                throw CLIError("--to: \(error.message)")
            }
            tls = try self.tls.configuration()
            for file in files {
                let bytes = try InputFile.read(file)
                do {
                    messages += try OutboundMessageFile.messages(in: bytes, file: file)
                } catch {
                    throw CLIError(file: error.file, offset: error.offset, error.message)
                }
            }
        } catch {
            throw error.report()
        }

        let outcomes: [SendOutcome]
        do {
            outcomes = try await MessageSender.send(messages, to: endpoint, tls: tls, timeout: .milliseconds(Int64(timeout * 1000))) {
                print(Self.line($0))
            }
        } catch {
            throw CLIError("\(error)", exitCode: .workFailed).report()
        }
        let failed = outcomes.filter { !$0.succeeded }.count
        if failed > 0 {
            var stderr = StandardError()
            print("switchboard: \(failed) of \(outcomes.count) messages to \(endpoint) were not accepted", to: &stderr)
            throw ExitCode.workFailed
        }
    }

    /// `FILE#N control_id=ID ack=CODE [msa2=ID (mismatch)] [err=CODE "text"]...`
    static func line(_ outcome: SendOutcome) -> String {
        let message = outcome.message
        var line = "\(message.file)#\(message.number) control_id=\(message.controlID)"
        switch outcome.result {
        case .acknowledged(let ack):
            line += " ack=\(ack.code.isEmpty ? "-" : ack.code)"
            if ack.controlID != message.controlID { line += " msa2=\(ack.controlID) (mismatch)" }
            if let text = ack.text { line += " text=\(quoted(text))" }
            for error in ack.errors {
                line += " err=\(error.code)" + (error.text.map { " " + quoted($0) } ?? "")
            }
        case .unreadableResponse(let reason):
            line += " ack=none error=\(quoted(reason))"
        case .noResponse(let error):
            line += " ack=none error=\(quoted("\(error.code.rawValue): \(error.message)"))"
        }
        return line
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\\", "\"": out += "\\" + String(character)
            case "\r", "\n": out += " "
            default: out.append(character)
            }
        }
        return out + "\""
    }
}
