import ArgumentParser
import HL7

/// `switchboard inspect FILE|- [--format pretty|tree-json|er7]`
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Parse an HL7 v2 file and show its structure.",
        discussion: """
            Reads one message, several messages, or an FHS/BHS batch in ER7 (pipe-delimited) \
            encoding. Segment terminators may be CR, LF or CRLF.

            Formats:
              pretty     one segment per line, each field numbered and named where known
              tree-json  the canonical tree (../shared/conformance/README.md), for tools
              er7        the message with terminators normalised to CR

            Examples:
              switchboard inspect samples/adt_a01.hl7
              switchboard inspect --format tree-json samples/siu_s12.hl7 | jq .segments[1]
              cat message.hl7 | switchboard inspect -
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case pretty
        case treeJSON = "tree-json"
        case er7
    }

    @Argument(help: "The file to read, or - for standard input.")
    var file: String

    @Option(help: "Output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .pretty

    func run() throws {
        do throws(CLIError) {
            let bytes = try InputFile.read(file)
            let batch = try ParsedInput.batch(bytes, file: file)
            switch format {
            case .treeJSON:
                InputFile.writeStdout(HL7CanonicalTree.json(batch))
            case .er7:
                InputFile.writeStdout(ER7Output.normalized(batch))
            case .pretty:
                InputFile.writeStdout(Array(HL7PrettyPrinter.render(batch).utf8))
            }
        } catch {
            throw error.report()
        }
    }
}
