import ArgumentParser

/// `switchboard bench ...`: load and measurement tools.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a running MLLP receiver.",
        subcommands: [BenchLoadCommand.self, BenchPartnerCommand.self, BenchCorpusCommand.self]
    )
}
