// Shared setup of the black-box daemon tests: the executable, samples, one-shot exchanges.
import SwitchboardTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every daemon test runs one after the other: they start processes, open many sockets and
/// measure latencies on a small machine (CI has 2 cores).
@Suite("switchboard serve (black-box)", .serialized)
struct DaemonTests {}

enum Fixture {
    static let root = SharedConformance.repositoryRoot(testFile: #filePath)

    /// `<repo>/.build/debug/switchboard` (or the one built beside the test bundle).
    static var executable: String { DaemonProcess.executable(repositoryRoot: root) }

    /// Starts a daemon on a fresh state directory; records an issue (and throws) when the
    /// executable was not built.
    static func startDaemon(_ arguments: [String] = [], umask: String? = nil) throws -> DaemonProcess {
        try #require(access(executable, X_OK) == 0, "switchboard not built at \(executable): run swift build first")
        return try DaemonProcess.start(executable: executable, arguments: arguments, umask: umask)
    }

    /// A file of samples/ as bytes.
    static func sample(_ name: String) throws -> [UInt8] {
        let text = try #require(ProcFiles.read(root + "/samples/" + name), "samples/\(name) missing")
        return Array(text.utf8)
    }

    /// samples/adt_a01.hl7 (synthetic) with MSH-10 `controlID`.
    static func adtA01(controlID: String) throws -> [UInt8] {
        try sample("adt_a01.hl7").replacing(Array("|MSG-A01-0001|".utf8), with: Array("|\(controlID)|".utf8))
    }

    /// Sends one frame on a new connection and returns the answer's payload (nil: none within
    /// `timeout`).
    static func exchange(_ payload: [UInt8], port: Int, timeout: Double = 10, from bindAddress: String? = nil) throws -> [UInt8]? {
        let connection = try LoopbackMLLPConnection(port: port, bindAddress: bindAddress, timeout: timeout)
        defer { connection.close() }
        try connection.sendFrame(payload)
        return try connection.readFrame(timeout: timeout)
    }

    /// Like ``exchange(_:port:timeout:from:)`` but parses the answer as an ACK.
    static func ack(_ payload: [UInt8], port: Int, timeout: Double = 10, from bindAddress: String? = nil) throws -> AckSummary {
        let reply = try #require(try exchange(payload, port: port, timeout: timeout, from: bindAddress), "no answer within \(timeout) s")
        return try #require(AckSummary(reply), "answer is not an ACK: \(String(decoding: reply.prefix(200), as: UTF8.self))")
    }

    /// Runs `switchboard` with `arguments` (e.g. `convert`, `journal dump`).
    static func run(_ arguments: [String], input: [UInt8] = []) -> CommandResult {
        CommandRunner.run(executable, arguments, input: input)
    }

    /// The number of journal records in a state directory (`journal dump --format jsonl`).
    static func journalRecordCount(state: String) -> Int? {
        let dump = run(["journal", "dump", "--state", state, "--format", "jsonl"])
        guard dump.status == 0 else { return nil }
        return dump.output.split(separator: "\n").filter { $0.hasPrefix("{\"seq\":") }.count
    }

    /// A daemon log line's `key=value` (unquoted) value.
    static func logValue(_ key: String, in line: String) -> String? {
        guard let range = line.firstRange(of: " " + key + "=") else { return nil }
        var value = line[range.upperBound...]
        if value.first == "\"" {
            value = value.dropFirst()
            return String(value.prefix { $0 != "\"" })
        }
        return String(value.prefix { $0 != " " })
    }

    /// The fatal error lines the current run of a crashed daemon left on standard error.
    static func crashReport(_ daemon: DaemonProcess) -> String {
        daemon.currentRunErrorLines.filter { $0.contains("Fatal error") || $0.contains("Program crashed") }.joined(separator: " | ")
    }
}
