import ArgumentParser
import HL7

/// `switchboard convert --to er7 FILE|-`
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert an HL7 v2 file to another encoding.",
        discussion: """
            --to er7 writes normalised ER7: every segment ends in a single CR, blank lines and \
            a byte-order mark are dropped, the bytes of every value are kept.

            Examples:
              switchboard convert --to er7 samples/adt_a03.hl7 > normalised.hl7
              tr '\\r' '\\n' < normalised.hl7 | switchboard convert --to er7 -
            """
    )

    enum Target: String, ExpressibleByArgument, CaseIterable {
        case er7
    }

    @Option(help: "Target encoding: \(Target.allCases.map(\.rawValue).joined(separator: ", ")).")
    var to: Target

    @Argument(help: "The file to read, or - for standard input.")
    var file: String

    func run() throws {
        do throws(CLIError) {
            let bytes = try InputFile.read(file)
            let batch = try ParsedInput.batch(bytes, file: file)
            switch to {
            case .er7: InputFile.writeStdout(ER7Output.normalized(batch))
            }
        } catch {
            throw error.report()
        }
    }
}
