import ArgumentParser

extension Switchboard {
    /// Every subcommand, in the order `--help` lists them.
    static let allSubcommands: [any ParsableCommand.Type] = [
        ServeCommand.self,
        InspectCommand.self,
        ConvertCommand.self,
        SendCommand.self,
        ReplayCommand.self,
        BenchCommand.self,
        JournalCommand.self,
        ConfigCommand.self,
        CaseloadCommand.self,
        OutboxCommand.self,
    ]
}
