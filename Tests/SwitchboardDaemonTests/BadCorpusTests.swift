// Every hostile input of ../shared/conformance/corpus/bad (delivery file, xml, mllp) through the
// real daemon; the reaction must be one INDEX.md allows, and the daemon must keep serving.
import SwitchboardTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonTests {
    @Suite("hostile corpus (corpus/bad/INDEX.md)")
    struct BadCorpus {
        static let corpus = SharedConformance.directory(repositoryRoot: Fixture.root)

        @Test("every file/xml/mllp row at the default limits (1 MiB frames)", .enabled(if: corpus != nil, "../shared/conformance is absent"))
        func defaultLimits() throws {
            let run = try CorpusRun(corpus: try #require(Self.corpus))
            defer { run.cleanUp() }
            try run.deliverAll(rows: run.rows, daemonArguments: [], label: "bad-corpus")
        }

        @Test("generated big inputs with 32 MiB frames: the parser's own limits (depth, size, count)",
              .enabled(if: corpus != nil, "../shared/conformance is absent"))
        func generatedUnderLargeFrames() throws {
            let run = try CorpusRun(corpus: try #require(Self.corpus))
            defer { run.cleanUp() }
            let big = run.rows.filter { $0.generated && !$0.isRawMLLP }
            try run.deliverAll(rows: big, daemonArguments: ["--max-frame-bytes", String(32 << 20)], label: "bad-corpus-big-32MiB")
        }
    }
}

/// One pass over corpus rows against one daemon.
final class CorpusRun {
    let corpus: String
    let rows: [BadCorpusRow]
    let scratch: String

    init(corpus: String) throws {
        self.corpus = corpus
        let index = try #require(ProcFiles.read(corpus + "/corpus/bad/INDEX.md"), "corpus/bad/INDEX.md missing")
        rows = BadCorpusIndex.parse(markdown: index).filter { ["file", "xml", "mllp", "file/mllp"].contains($0.delivery) }
        try #require(rows.count > 50, "INDEX.md: only \(rows.count) rows read")
        scratch = try TemporaryDirectory.make(prefix: "switchboard-bad-corpus")
    }

    private var generated: String?
    private var generationTried = false

    func cleanUp() { TemporaryDirectory.remove(scratch) }

    /// The generated files, made once with gen_big.py when python3 exists.
    private func generatedFiles() -> String? {
        if generationTried { return generated }
        generationTried = true
        let out = scratch + "/big"
        let result = CommandRunner.run("/usr/bin/env", ["python3", corpus + "/gen_big.py", out])
        generated = result.status == 0 ? out : nil
        if generated == nil { print("bad-corpus: gen_big.py not run (\(result.status)): generated rows skipped") }
        return generated
    }

    func deliverAll(rows: [BadCorpusRow], daemonArguments: [String], label: String) throws {
        let started = monotonicSeconds()
        let daemon = try Fixture.startDaemon(daemonArguments)
        defer { daemon.cleanUp() }
        var met = 0, policy: [String] = [], failed: [String] = [], crashes = 0, skipped = 0
        var designCloses: [String] = [], notDeliverable: [String] = []
        var previous: ReactionExpectation?
        var sentinel = 0
        var durations: [(String, Double)] = []
        for row in rows {
            let expectation = ReactionExpectation.parse(row.reaction, previous: previous)
            previous = expectation
            guard let expectation else {
                failed.append(row.file)
                Issue.record("\(row.file): reaction not understood: \(row.reaction)")
                continue
            }
            let path: String
            if row.generated {
                guard let directory = generatedFiles() else { skipped += 1; continue }
                path = directory + "/" + row.file
            } else {
                path = corpus + "/corpus/bad/" + row.file
            }
            guard let bytes = readFile(path) else {
                failed.append(row.file)
                Issue.record("\(row.file): cannot read \(path)")
                continue
            }
            sentinel += 1
            let rowStarted = monotonicSeconds()
            defer { durations.append((row.file, monotonicSeconds() - rowStarted)) }
            var problems: [String] = []
            let observed: Observation
            do {
                observed = try deliver(row, bytes, port: daemon.port, sentinelID: "SENTINEL-\(sentinel)")
            } catch {
                observed = Observation(reaction: ObservedReaction(acks: [], otherFrames: 0, connection: .hung, messageCount: 0, frameCount: 0),
                                       leakedPasswd: false)
                problems.append("delivery failed: \(error)")
            }
            let maxFrame = daemonArguments.firstIndex(of: "--max-frame-bytes").map { Int(daemonArguments[$0 + 1])! } ?? 1_048_576
            if observed.reaction.meets(expectation) {
                // fine
            } else if row.delivery != "mllp", bytes.count > maxFrame, observed.reaction.acks.isEmpty,
                      observed.reaction.connection != .open {
                // DESIGN §3: "frame larger than the limit → connection closed, logged, counted".
                // INDEX allows an answer instead; DESIGN is the contract, so a close is right.
                designCloses.append(row.file)
            } else if row.delivery != "mllp", bytes.contains(0x0B) || bytes.contains(0x1C) {
                // MLLP cannot carry 0x0B/0x1C inside a payload: this file cannot be delivered as
                // one frame verbatim, so what the daemon answered says nothing about the row.
                notDeliverable.append(row.file)
                skipped += 1
                continue
            } else if observed.reaction.isPolicyRefusal(for: expectation) {
                policy.append("\(row.file)=\(observed.reaction.acks[0].code) \(observed.reaction.acks[0].errorCodes.joined(separator: ","))")
            } else {
                problems.append("expected \(expectation), got \(observed.reaction)")
            }
            if observed.leakedPasswd { problems.append("/etc/passwd content in an answer") }
            // The daemon still serves others: a good message on a new connection.
            sentinel += 1
            var goodFailed = false
            do {
                let good = try Fixture.ack(try Fixture.adtA01(controlID: "GOOD-\(sentinel)"), port: daemon.port)
                if !good.isAccept { problems.append("next good message got \(good)") }
            } catch {
                goodFailed = true
                problems.append("next good message failed: \(error)")
            }
            // A daemon that died (on this row's input, or on the good message) is noted and
            // started again on the same state directory, so the remaining rows still run.
            if goodFailed || observed.reaction.connection != .open, let status = daemon.waitForExit(timeout: goodFailed ? 5 : 0.05) {
                crashes += 1
                problems.append("daemon died (status \(status)): \(Fixture.crashReport(daemon).suffix(300))")
                try daemon.restart()
            }
            if problems.isEmpty {
                met += 1
            } else {
                failed.append(row.file)
                let line = "\(row.file) [\(row.delivery)]: " + problems.joined(separator: "; ")
                print("\(label) FAIL \(line)")
                Issue.record("\(line)")
            }
        }
        #expect(!daemon.errorOutput.contains("root:x:0:0"), "/etc/passwd content in the daemon's log")
        var report = FaultReport(label)
        report.pass = failed.isEmpty
        report["rows"] = .int(rows.count)
        report["met"] = .int(met - policy.count)
        report["policy_refusals"] = .strings(policy)
        report["closed_over_max_frame"] = .strings(designCloses)
        report["not_deliverable_as_one_frame"] = .strings(notDeliverable)
        report["failed"] = .strings(failed)
        report["daemon_crashes"] = .int(crashes)
        report["generated_skipped"] = .int(skipped)
        report["peak_rss_mb"] = .double(Double(daemon.peakResidentBytes ?? 0) / 1_048_576)
        report["seconds"] = .double(monotonicSeconds() - started)
        report["slowest_rows"] = .strings(durations.sorted { $0.1 > $1.1 }.prefix(3).map { "\($0.0)=\(Int($0.1 * 1000))ms" })
        report.emit()
    }

    struct Observation {
        var reaction: ObservedReaction
        var leakedPasswd: Bool
    }

    /// Delivers one row: a frame of the file's bytes (file, xml) or the bytes as they are
    /// (mllp), then a sentinel message on the same connection. ACKs before the sentinel's are
    /// the reaction; the sentinel's ACK shows the connection still works. A row whose input
    /// ends with "then the client closes" half-closes instead and reads until the end.
    func deliver(_ row: BadCorpusRow, _ bytes: [UInt8], port: Int, sentinelID: String) throws -> Observation {
        let raw = row.isRawMLLP
        let wire = raw ? bytes : LoopbackMLLPConnection.frame(bytes)
        let frames = raw ? MLLPBytes.frames(bytes) : [bytes]
        let messageCount = frames.reduce(0) { $0 + MLLPBytes.messageCount($1) }
        let ids = frames.map { MLLPBytes.controlID($0) }
        let frameIDs = ids.allSatisfy({ $0 != nil }) ? ids.map { $0! } : []
        let clientCloses = row.what.contains("then the client closes")
        let connection = try LoopbackMLLPConnection(port: port, timeout: 30, sendBufferBytes: 256 * 1024)
        defer { connection.close() }
        let sentinel = clientCloses ? [] : LoopbackMLLPConnection.frame(try Fixture.adtA01(controlID: sentinelID))
        let fd = connection.fileDescriptor
        let writer = BackgroundThread { () -> Void in
            let (_, error) = LoopbackMLLPConnection.send(fd: fd, wire)
            if error == nil, !sentinel.isEmpty { _ = LoopbackMLLPConnection.send(fd: fd, sentinel) }
            if clientCloses { shutdown(fd, Int32(SHUT_WR)) }
        }
        defer { writer.join() }
        var acks: [AckSummary] = []
        var others = 0
        var leaked = false
        var state = ObservedReaction.Connection.hung
        let deadline = monotonicSeconds() + 20 + Double(frames.count) * 0.01
        reading: while true {
            switch connection.nextEvent(timeout: max(0, deadline - monotonicSeconds())) {
            case .frame(let payload):
                if payload.firstRange(of: Array("root:x:0:0".utf8)) != nil { leaked = true }
                // A batch acknowledgement (FHS/BHS … BTS/FTS) carries one ACK per message.
                let batchACKs = AckSummary.batch(payload)
                if !batchACKs.isEmpty {
                    acks += batchACKs
                    continue
                }
                guard let ack = AckSummary(payload) else { others += 1; continue }
                if ack.acknowledgedControlID == sentinelID, !sentinel.isEmpty {
                    state = .open
                    break reading
                }
                acks.append(ack)
            case .closed:
                state = .closed
                break reading
            case .timeout:
                state = .hung
                break reading
            }
        }
        // Unblock a writer still pushing bytes nobody reads.
        if state != .open { shutdown(fd, Int32(SHUT_RDWR)) }
        return Observation(
            reaction: ObservedReaction(acks: acks, otherFrames: others, connection: state, messageCount: messageCount,
                                       frameCount: frames.count, frameControlIDs: frameIDs),
            leakedPasswd: leaked)
    }

    private func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return nil }
            offset += n
        }
        return bytes
    }
}
