import ArgumentParser
import HL7
import HL7XML

/// `switchboard convert --to er7 FILE|-`
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert an HL7 v2 file to another encoding.",
        discussion: """
            --to er7 writes normalised ER7: every segment ends in a single CR, blank lines and \
            a byte-order mark are dropped, the bytes of every value are kept.
            --to xml writes HL7 v2.xml (namespace urn:hl7-org:v2xml) for one message; element \
            names come from the v2.5.1 data dictionary, 'varies' where it has none \
            (docs/ARCHITECTURE.md, HL7XML). The input may be ER7 or HL7 v2.xml.

            Examples:
              switchboard convert --to er7 samples/adt_a03.hl7 > normalised.hl7
              tr '\\r' '\\n' < normalised.hl7 | switchboard convert --to er7 -
              switchboard convert --to xml samples/adt_a01.hl7 > adt_a01.xml
              switchboard convert --to er7 adt_a01.xml
            """
    )

    enum Target: String, ExpressibleByArgument, CaseIterable {
        case er7
        case xml
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
            case .xml:
                guard batch.messages.count == 1, batch.segments.count == batch.messages[0].segmentCount else {
                    throw CLIError(file: file, "--to xml takes exactly one message without batch headers (found \(batch.messages.count) messages)")
                }
                InputFile.writeStdout(HL7XMLWriter.document(batch.messages[0]))
            }
        } catch {
            throw error.report()
        }
    }
}
