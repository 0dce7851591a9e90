import ArgumentParser
import Foundation
import SwitchboardDaemon
import UnixSignals

/// `switchboard bench partner`: an MLLP partner that acknowledges, or misbehaves on purpose.
struct BenchPartnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner",
        abstract: "Run a test partner: an MLLP listener that ACKs every message, optionally dropping connections, answering AR or a wrong MSA-2.",
        discussion: """
            For testing outbound delivery (destinations:) without a real partner. Every message \
            received is written as one JSON line (control_id, type, answer) to --record, or to \
            stdout. Stops on SIGINT/SIGTERM.

            Example (a flaky home-health partner):
              switchboard bench partner --listen 127.0.0.1:2576 --drop-percent 10 --ar-percent 5 --wrong-id-percent 2
            """
    )

    @Option(help: ArgumentHelp("Listen address (port 0: a free one, printed on stderr).", valueName: "HOST:PORT"))
    var listen: String = "127.0.0.1:2576"

    @Option(help: "Percent of frames after which the connection is closed with no answer.")
    var dropPercent: Double = 0

    @Option(name: .customLong("ar-percent"), help: "Percent of frames answered AR.")
    var rejectPercent: Double = 0

    @Option(help: "Percent of frames answered AA for another control id (stale ACK).")
    var wrongIDPercent: Double = 0

    @Option(help: "Seed of the fault draws.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Append one JSON line per message to this file (default: stdout).", valueName: "FILE"))
    var record: String?

    func validate() throws {
        for (name, value) in [("--drop-percent", dropPercent), ("--ar-percent", rejectPercent), ("--wrong-id-percent", wrongIDPercent)]
        where !(0...100).contains(value) {
            throw ValidationError("\(name) must be between 0 and 100")
        }
        guard dropPercent + rejectPercent + wrongIDPercent <= 100 else { throw ValidationError("the percentages add up to more than 100") }
    }

    func run() async throws {
        guard let address = HostAndPort(listen) else { throw CLIError("--listen \(listen): expected HOST:PORT") }
        let output: FileHandle
        if let record {
            if !FileManager.default.fileExists(atPath: record) {
                guard FileManager.default.createFile(atPath: record, contents: nil) else { throw CLIError(file: record, "cannot create") }
            }
            guard let handle = FileHandle(forWritingAtPath: record) else { throw CLIError(file: record, "cannot open for writing") }
            handle.seekToEndOfFile()
            output = handle
        } else {
            output = FileHandle.standardOutput
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let stub = try await PartnerStub.start(
            host: address.host, port: address.port,
            faults: PartnerStubFaults(dropPercent: dropPercent, rejectPercent: rejectPercent, wrongIDPercent: wrongIDPercent, seed: seed)
        ) { receipt in
            guard var line = try? encoder.encode(receipt) else { return }
            line.append(0x0A)
            output.write(line)
        }
        FileHandle.standardError.write(Data("partner listening on \(address.host):\(stub.port)\n".utf8))
        await waitForTermination()
        await stub.stop()
    }

    /// Returns on SIGINT or SIGTERM.
    private func waitForTermination() async {
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
    }
}
