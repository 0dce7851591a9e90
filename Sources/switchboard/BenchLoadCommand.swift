import ArgumentParser
import Foundation
import MLLP
import SwitchboardDaemon


/// `switchboard bench load --to HOST:PORT ...`
struct BenchLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Send synthetic ADT^A01 messages over MLLP as fast as ACKs come back.",
        discussion: """
            Opens --connections connections and keeps up to --window frames in flight on each \
            until --messages messages (split over the connections) are acknowledged. Messages \
            are synthetic ADT^A01 v2.5.1 (MSH, EVN, PID, PV1; an OBX pads them to --size) with \
            MSH-10 = RUN-CONNECTION-SEQUENCE. Each ACK must carry MSA-1 AA (or CA) and MSA-2 \
            equal to the message's MSH-10.

            Without --resend-on-timeout, an ACK missing for --timeout seconds or a lost \
            connection ends that connection and its unanswered messages count as failures. \
            With it, the connection is reopened and the unanswered messages are sent again, \
            byte for byte, until an ACK arrives (TESTPLAN load-generator behaviour).

            With --archive FILE nothing is sent: the messages are written to FILE as an MLLP \
            archive (connection by connection interleaved), for `switchboard replay FILE --to ...` \
            to send the same bytes (the replay client measured against this generator).

            Prints a table (or, with --json, one JSON line): messages, seconds, messages/s, \
            ACK latency p50/p99/max in ms, failures, resends. Exit 1 if any message failed.

            Examples:
              switchboard bench load --to 127.0.0.1:2575 --messages 100000
              switchboard bench load --to 127.0.0.1:2575 --connections 8 --window 32 --messages 1000000 --json
              switchboard bench load --to 127.0.0.1:2575 --connections 4 --messages 50000 --resend-on-timeout 5 --run-id t1c07
            """
    )

    @Option(help: ArgumentHelp("Where to send: HOST:PORT.", valueName: "HOST:PORT"))
    var to: String?

    @Option(help: ArgumentHelp("Write the messages to this MLLP archive instead of sending them.", valueName: "FILE"))
    var archive: String?

    @Option(help: "Connections.")
    var connections: Int = 1

    @Option(help: "Frames in flight per connection.")
    var window: Int = 1

    @Option(help: "Messages in total.")
    var messages: Int = 10_000

    @Option(help: ArgumentHelp("Pad each message to about this many bytes.", valueName: "BYTES"))
    var size: Int = 0

    @Option(name: .customLong("run-id"), help: ArgumentHelp("Prefix of every MSH-10 (default: random).", valueName: "ID"))
    var runID: String?

    @Option(help: "Seconds to wait for an ACK.")
    var timeout: Double = 5

    @Option(name: .customLong("resend-on-timeout"),
            help: ArgumentHelp("Wait this long for an ACK, then reconnect and resend until one arrives.", valueName: "SECONDS"))
    var resendOnTimeout: Double?

    @Option(help: ArgumentHelp("Send at this total rate (messages/s, spread over the connections) instead of as fast as ACKs return.", valueName: "N"))
    var rate: Double?

    @Flag(help: "Print one JSON line instead of the table.")
    var json = false

    func validate() throws {
        guard (1...4096).contains(connections) else { throw ValidationError("--connections must be 1...4096") }
        guard (1...65_536).contains(window) else { throw ValidationError("--window must be 1...65536") }
        guard messages >= 1 else { throw ValidationError("--messages must be at least 1") }
        guard (0...16 << 20).contains(size) else { throw ValidationError("--size must be 0...16777216") }
        for seconds in [timeout, resendOnTimeout ?? 1] where !(seconds > 0 && seconds <= 3600) {
            throw ValidationError("timeouts must be between 0 and 3600 seconds")
        }
        guard (to == nil) != (archive == nil) else { throw ValidationError("give exactly one of --to HOST:PORT and --archive FILE") }
        if let rate, !(rate > 0 && rate <= 10_000_000) { throw ValidationError("--rate must be between 0 and 10000000") }
        if let runID, runID.isEmpty || runID.contains(where: { "|^~\\&\r\n".contains($0) }) {
            throw ValidationError("--run-id must be non-empty and free of HL7 delimiters")
        }
    }

    func run() async throws {
        if let archive {
            let configuration = LoadConfiguration(
                endpoint: MLLPEndpoint(host: "127.0.0.1", port: 0), connections: connections, window: window, messages: messages,
                size: size, runID: runID ?? Self.randomRunID(), ackTimeout: .seconds(1), resendOnTimeout: false, ratePerSecond: nil)
            do {
                try Data(LoadGenerator.archive(configuration)).write(to: URL(fileURLWithPath: archive))
            } catch {
                throw CLIError(file: archive, "cannot write the archive: \(error)", exitCode: .workFailed).report()
            }
            return
        }
        let endpoint: MLLPEndpoint
        do {
            endpoint = try MLLPEndpoint(parsing: to ?? "")
        } catch {
            throw CLIError("--to: \(error.message)").report()
        }
        let seconds = resendOnTimeout ?? timeout
        let configuration = LoadConfiguration(
            endpoint: endpoint, connections: connections, window: window, messages: messages, size: size,
            runID: runID ?? Self.randomRunID(), ackTimeout: .milliseconds(Int64(seconds * 1000)),
            resendOnTimeout: resendOnTimeout != nil, ratePerSecond: rate)
        let report: LoadReport
        do {
            report = try await LoadGenerator.run(configuration)
        } catch {
            throw CLIError("\(error)", exitCode: .workFailed).report()
        }
        print(json ? report.jsonLine : report.table)
        if report.failures > 0 { throw ExitCode.workFailed }
    }

    /// Six hex digits: short enough that `<run>-<conn>-<seq>` fits MSH-10's 20 characters
    /// for runs of up to a million messages per connection on up to 99 connections.
    private static func randomRunID() -> String {
        let value = UInt32.random(in: 0..<(1 << 24))
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 6 - hex.count) + hex
    }
}
