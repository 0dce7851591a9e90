import ArgumentParser
import Foundation
import SwitchboardDaemon

/// `switchboard bench corpus --messages N --output FILE`
struct BenchCorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Write a synthetic ADT archive (MLLP-framed) for replay measurements.",
        discussion: """
            Groups of four messages: three ADT^A01 admissions of new invented patients (each \
            with its own visit), then the ADT^A03 discharge of the first of them. Deterministic: \
            the same --messages gives the same bytes. The README's replay figures use it:

              switchboard bench corpus --messages 200000 --output /tmp/synthetic-200k.mllp
              switchboard replay /tmp/synthetic-200k.mllp --state /tmp/replayed
            """
    )

    @Option(help: "Messages to write.")
    var messages: Int = 200_000

    @Option(help: ArgumentHelp("Where to write the archive.", valueName: "FILE"))
    var output: String

    func validate() throws {
        guard (1...100_000_000).contains(messages) else { throw ValidationError("--messages must be 1...100000000") }
    }

    func run() throws {
        do {
            try Data(SyntheticAdmissions.archive(count: messages)).write(to: URL(fileURLWithPath: output))
        } catch {
            throw CLIError(file: output, "cannot write the archive: \(error)", exitCode: .workFailed).report()
        }
    }
}
