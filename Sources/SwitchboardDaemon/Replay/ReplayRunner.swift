// `switchboard replay`: an archive's messages through the daemon's own pipeline into a state
// directory (offline), or to a running daemon over MLLP (online), with one outcome per message.
import Caseload
import CaseloadStore
import Foundation
import HL7
import Integration
import Journal
public import Logging
public import MLLP
import NIOCore
import Synchronization

/// What happened to one replayed message (a row of `--report`).
public struct ReplayOutcome: Sendable, Codable, Equatable {
    public var source: String
    public var offset: Int
    public var controlID: String
    public var messageType: String
    /// MSA-1 of the answer; `none` when the message asked for no ACK; `error` when nothing
    /// usable came back (see `note`).
    public var ack: String
    /// ERR codes and texts of the answer.
    public var errors: [String]
    /// The copy of a message already stored (answered from the duplicate index).
    public var duplicate: Bool
    /// Transport trouble, a mismatched MSA-2, ...
    public var note: String?
    /// Dry run: what the message would change in the caseload (one sentence per change).
    public var changes: [String]?
    /// The journal sequence it was stored under (not in the report).
    var sequence: UInt64?

    /// Accepted (AA/CA), or asked for no ACK.
    public var accepted: Bool { ack == "AA" || ack == "CA" || ack == "none" }

    enum CodingKeys: String, CodingKey {
        case source, offset, controlID = "control_id", messageType = "message_type", ack, errors, duplicate, note, changes
    }
}

/// Replays archives.
public enum ReplayRunner {
    /// Applies `items` to the state directory of `configuration` through the same pipeline the
    /// daemon runs (validation, duplicates, journal with group commit, caseload), `window`
    /// messages in flight, in file order. Refuses when a daemon holds the directory. Writes a
    /// snapshot at the end (as the daemon does at shutdown) so the next start is quick.
    public static func offline(
        _ items: [ReplayItem], configuration: DaemonConfiguration, window: Int = 2048, logger: Logger, stop: StopFlag = StopFlag(),
        each: @escaping @Sendable (Int, ReplayOutcome) -> Void = { _, _ in }
    ) async throws(DaemonError) -> [ReplayOutcome] {
        do {
            try ProcessHardening.prepareStateDirectory(configuration.stateDirectory)
        } catch {
            throw DaemonError("\(error)")
        }
        // A bulk load: the journal waits a little longer for fuller group commits (fewer
        // fdatasyncs and wake-ups; each record is as durable, only ACK latency, which nobody
        // waits on here, grows).
        var journalConfiguration = configuration.journal
        journalConfiguration.gatherWait = .milliseconds(2)
        journalConfiguration.gatherTarget = max(1, window / 2)
        let journal: FileJournal
        do {
            journal = try await FileJournal.open(journalConfiguration, logger: logger)
        } catch where error.code == .locked {
            throw DaemonError("\(configuration.journal.directory) is in use (a daemon holds its lock): stop it, or replay online with --to")
        } catch {
            throw DaemonError("cannot open the journal in \(configuration.journal.directory): \(error)")
        }
        let store: InboundStore
        do {
            store = try await InboundStore.open(journal: journal, duplicates: configuration.duplicates, logger: logger,
                                                nowMicroseconds: WallClock.microseconds())
        } catch {
            await journal.close()
            throw DaemonError("cannot read the journal in \(configuration.journal.directory): \(error)")
        }
        let engine = CaseloadEngine(store: store, rules: configuration.caseloadRules)
        let outcomes = await process(items, store: store, engine: engine, configuration: configuration, window: window, stop: stop, each: each)
        if configuration.snapshotEveryRecords > 0, journal.lastDurableSequence > store.snapshotSequence,
           let (state, sequence) = await engine.captureForSnapshot(durableSequence: { journal.lastDurableSequence }),
           sequence > store.snapshotSequence
        {
            do {
                try await journal.heartbeat()
                try await store.storeSnapshot(of: state, through: sequence)
            } catch {
                logger.warning("caseload snapshot after the replay failed", metadata: ["error": "\(error)"])
            }
        }
        await journal.close()
        return outcomes
    }

    /// Parses, validates and maps every item as `offline` would, against a copy of
    /// `stateDirectory` (or an empty caseload) held in memory: nothing is written. Each outcome
    /// carries the ACK it would get and the caseload changes it would make.
    public static func dryRun(
        _ items: [ReplayItem], configuration: DaemonConfiguration, stateDirectory: String?, window: Int = 2048, logger: Logger,
        stop: StopFlag = StopFlag(), each: @escaping @Sendable (Int, ReplayOutcome) -> Void = { _, _ in }
    ) async throws(DaemonError) -> [ReplayOutcome] {
        let journal: DryRunJournal
        do {
            journal = try DryRunJournal(copying: stateDirectory.map { JournalConfiguration(stateDirectory: $0).directory })
        } catch {
            throw DaemonError("cannot read the journal in \(stateDirectory ?? ""): \(error)")
        }
        let store: InboundStore
        do {
            store = try await InboundStore.open(journal: journal, duplicates: configuration.duplicates, logger: logger,
                                                nowMicroseconds: WallClock.microseconds())
        } catch {
            throw DaemonError("cannot read the journal in \(stateDirectory ?? ""): \(error)")
        }
        let engine = CaseloadEngine(store: store, rules: configuration.caseloadRules)
        var outcomes = await process(items, store: store, engine: engine, configuration: configuration, window: window, stop: stop,
                                     each: { _, _ in })
        try? await journal.heartbeat()
        let changes: [UInt64: [String]] = engine.read { state in
            var bySequence: [UInt64: [String]] = [:]
            for entry in state.audit where entry.sequence > store.snapshotSequence { bySequence[entry.sequence] = entry.changes }
            return bySequence
        }
        for index in outcomes.indices {
            if let sequence = outcomes[index].sequence { outcomes[index].changes = changes[sequence] ?? [] }
            each(index, outcomes[index])
        }
        return outcomes
    }

    /// The shared loop: messages are prepared (parsed, validated, mapped) ahead on the other
    /// core, in chunks, and submitted in file order with up to `window` appends in flight.
    private static func process(
        _ items: [ReplayItem], store: InboundStore, engine: CaseloadEngine, configuration: DaemonConfiguration, window: Int,
        stop: StopFlag, each: @escaping @Sendable (Int, ReplayOutcome) -> Void
    ) async -> [ReplayOutcome] {
        var inbound = configuration.inbound
        let window = max(1, window)
        inbound.maxInFlight = max(inbound.maxInFlight, window)
        let pipeline = InboundPipeline(configuration: inbound, store: store, caseload: engine, now: { WallClock.microseconds() })
        let flight = ReplayFlight(count: items.count, window: window)
        var chunks = PreparedChunks(items: items, pipeline: pipeline)
        var submitted = 0
        submitting: while submitted < items.count, !stop.isSet {
            let (range, prepared) = await chunks.next()
            // Taken out of the chunk from its end (moved, not copied: a copy would retain every
            // string and buffer of the frame, and its release would follow).
            var frames = prepared
            frames.reverse()
            for index in range {
                let frame = frames.removeLast()
                if stop.isSet { break submitting }
                await flight.reserve()
                let item = items[index]
                pipeline.submit(frame, receipt: InboundReceipt(listener: "replay", peer: "\(item.source):\(item.offset)",
                                                               receivedAtMicroseconds: WallClock.microseconds())) { result in
                    let outcome = Self.outcome(item, result)
                    each(index, outcome)  // before `finish`: the last progress line comes before the summary
                    flight.finish(index, outcome)
                }
                submitted += 1
            }
        }
        chunks.cancel()
        return await flight.drained()
    }

    /// Sends `items` to a running daemon over `connections` connections, each keeping up to
    /// `window` frames in flight (MLLP pipelining: answers come back in frame order). With one
    /// connection the daemon stores the messages in file order; with several, each connection
    /// takes every n-th message and the order across them is not kept. A frame without an answer
    /// within `timeout` (or on a dropped connection) is sent again, the same bytes, on a new
    /// connection, up to `resends` times. With `stopOnError` sending stops at the first message
    /// not accepted (answers to frames already in flight are still read).
    public static func online(
        _ items: [ReplayItem], to endpoint: MLLPEndpoint, tls: MLLPClientTLSConfiguration?, timeout: Duration,
        connections: Int = 1, window: Int = 32, resends: Int = 2, messagesPerSecond: Double? = nil, stopOnError: Bool = false,
        stop: StopFlag = StopFlag(), each: @escaping @Sendable (Int, ReplayOutcome) -> Void = { _, _ in }
    ) async throws(MLLPClientError) -> [ReplayOutcome] {
        // Nothing listening at the start: say so instead of failing every message.
        let probe = try await MLLPClient.connect(host: endpoint.host, port: endpoint.port, tls: tls, connectTimeout: .seconds(10))
        try? await probe.close()
        let lanes = max(1, min(connections, max(items.count, 1)))
        let rate = messagesPerSecond.map { $0 / Double(lanes) }
        let results = await withTaskGroup(of: [(Int, ReplayOutcome)].self) { group in
            for lane in 0..<lanes {
                let indices = Array(stride(from: lane, to: items.count, by: lanes))
                group.addTask {
                    // A pacer per lane: together they send at the rate asked for.
                    await sendLane(indices, items: items, endpoint: endpoint, tls: tls, timeout: timeout, window: max(1, window),
                                   resends: resends, pacing: rate.map { Pacing(rate: $0) }, stopOnError: stopOnError, stop: stop, each: each)
                }
            }
            var all: [(Int, ReplayOutcome)] = []
            for await lane in group { all += lane }
            return all
        }
        return results.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// One connection's share: a window of frames in flight, answers read in order, resends on a
    /// fresh connection after a timeout or a dropped connection. The window is refilled once
    /// every answer already come is read, the new frames written together (one hop to the
    /// event loop, one flush).
    private static func sendLane(
        _ indices: [Int], items: [ReplayItem], endpoint: MLLPEndpoint, tls: MLLPClientTLSConfiguration?, timeout: Duration,
        window: Int, resends: Int, pacing: Pacing?, stopOnError: Bool, stop: StopFlag,
        each: @Sendable (Int, ReplayOutcome) -> Void
    ) async -> [(Int, ReplayOutcome)] {
        var outcomes: [(Int, ReplayOutcome)] = []
        var attempts = [Int](repeating: 0, count: indices.count)
        var lastError = [String?](repeating: nil, count: indices.count)
        var client: MLLPClient?
        var nextToSend = 0, nextToRead = 0
        var pending: [(position: Int, ticket: Int)] = []
        var lastTicket = 0
        let answers = LaneAnswers()
        let started = ContinuousClock.now
        // Frames the daemon may leave unanswered (an ACK; MSH-15 NE, ER or SU): sent alone, with
        // nothing else in flight, so a missing answer cannot shift the answers of the frames after
        // it; no answer within a short wait counts as accepted without an ACK.
        let silentWait = min(timeout, .seconds(2))
        // Each header is read once (for XML a parse), when its message is first looked at.
        var headers = [LaneHeader?](repeating: nil, count: indices.count)
        func header(_ position: Int) -> LaneHeader {
            if let known = headers[position] { return known }
            let read = LaneHeader(ReplaySelection.header(of: items[indices[position]]))
            headers[position] = read
            return read
        }
        /// Writes frames together; their answers are watched under new tickets.
        func send(_ batch: [Int], on client: MLLPClient) {
            let wait = batch.count == 1 && header(batch[0]).silent ? silentWait : timeout
            let futures = client.submit(contentsOf: batch.map { items[indices[$0]].bytes }, timeout: wait)
            for (position, future) in zip(batch, futures) {
                lastTicket += 1
                answers.watch(future, ticket: lastTicket)
                pending.append((position, lastTicket))
            }
        }
        func finish(_ position: Int, _ outcome: ReplayOutcome) {
            outcomes.append((indices[position], outcome))
            each(indices[position], outcome)
            if stopOnError, !outcome.accepted { stop.set() }
        }
        while nextToRead < indices.count {
            // Fill the window.
            var batch: [Int] = []
            while pending.count + batch.count < window, nextToSend < indices.count, !stop.isSet {
                // A message holding an MLLP block byte cannot travel as one frame: the daemon
                // would cut it there. Reported, not sent (offline replay takes it as it is).
                let bytes = items[indices[nextToSend]].bytes
                if let block = bytes.firstIndex(where: { $0 == 0x0B || $0 == 0x1C }) {
                    if !pending.isEmpty || !batch.isEmpty { break }  // keep the answers in order: drain first
                    finish(nextToSend, unanswered(items[indices[nextToSend]], header(nextToSend), note: String(
                        format: "byte 0x%02X at offset %d is an MLLP block byte: the message cannot be sent as one frame", bytes[block], block)))
                    nextToSend += 1
                    nextToRead = nextToSend
                    continue
                }
                let silent = header(nextToSend).silent
                if silent, !pending.isEmpty || !batch.isEmpty { break }  // drain first
                if let last = batch.last ?? pending.last?.position, header(last).silent { break }
                if client == nil {
                    client = try? await MLLPClient.connect(host: endpoint.host, port: endpoint.port, tls: tls, connectTimeout: .seconds(10))
                    if client == nil {
                        attempts[nextToSend] += 1
                        lastError[nextToSend] = "cannot connect to \(endpoint.host):\(endpoint.port)"
                        if attempts[nextToSend] > resends {
                            finish(nextToSend, unanswered(items[indices[nextToSend]], header(nextToSend), note: lastError[nextToSend]))
                            nextToSend += 1
                            nextToRead = nextToSend
                        } else {
                            try? await Task.sleep(for: .milliseconds(200))
                        }
                        continue
                    }
                }
                attempts[nextToSend] += 1
                batch.append(nextToSend)
                nextToSend += 1
                if let pacing, let client {
                    // Paced: each frame goes out at its time, and the window keeps filling.
                    await pacing.wait(started: started)
                    send(batch, on: client)
                    batch.removeAll()
                }
                if silent { break }
            }
            if let client, !batch.isEmpty { send(batch, on: client) }
            guard let oldest = pending.first else {
                if stop.isSet || nextToSend >= indices.count { break }
                continue
            }
            let item = items[indices[oldest.position]]
            switch await answers.take(oldest.ticket) {
            case .success(let response):
                pending.removeFirst()
                finish(oldest.position, answered(item, header(oldest.position), response: Array(response.readableBytesView)))
                nextToRead = oldest.position + 1
                // Every answer already come, before refilling.
                while let next = pending.first, let response = answers.takeIfAnswered(next.ticket) {
                    pending.removeFirst()
                    finish(next.position, answered(items[indices[next.position]], header(next.position), response: Array(response.readableBytesView)))
                    nextToRead = next.position + 1
                }
            case .failure(let error):
                try? await client?.close()
                client = nil
                answers.discard(through: lastTicket)
                if header(oldest.position).silent, pending.count == 1,
                   case let failure as MLLPClientError = error, failure.code == .timeout {
                    pending.removeAll()
                    var outcome = unanswered(item, header(oldest.position), note: "no answer: the message asks for none (MSH-15) or is an ACK")
                    outcome.ack = "none"
                    finish(oldest.position, outcome)
                    nextToRead = oldest.position + 1
                    nextToSend = nextToRead
                    continue
                }
                // The connection failed or timed out: every frame in flight on it is lost. Send
                // them again, in order, on a new connection (or give up on the first after
                // `resends`). Only the first is charged an attempt: the others did not fail.
                for later in pending.dropFirst() { attempts[later.position] -= 1 }
                pending.removeAll()
                lastError[oldest.position] = "\(error)"
                if attempts[oldest.position] > resends {
                    finish(oldest.position, unanswered(item, header(oldest.position), note: "\(error) (after \(attempts[oldest.position]) sends)"))
                    nextToRead = oldest.position + 1
                }
                nextToSend = nextToRead
            }
        }
        try? await client?.close()
        return outcomes
    }

    /// What a lane needs of a message's header: read once.
    private struct LaneHeader {
        var controlID = ""
        var messageType = ""
        /// An ACK, or MSH-15 NE/ER/SU: the daemon may send no answer.
        var silent = false

        init(_ header: HL7Header?) {
            guard let header else { return }
            controlID = header.controlID
            messageType = header.messageType
            silent = header.messageCode == "ACK" || ["NE", "ER", "SU"].contains(header.acceptAcknowledgmentType)
        }
    }

    private static func answered(_ item: ReplayItem, _ header: LaneHeader, response: [UInt8]) -> ReplayOutcome {
        var outcome = unanswered(item, header, note: nil)
        do {
            let ack = try AckSummary.reading(response)
            outcome.ack = ack.code
            outcome.errors = ack.errors.map { "\($0.code)\($0.text.map { " \($0)" } ?? "")" }
            if ack.controlID != outcome.controlID {
                outcome.ack = "error"
                outcome.note = "MSA-2 '\(ack.controlID)' is not the message's MSH-10 '\(outcome.controlID)'"
            }
        } catch {
            outcome.note = "the answer is not an ACK: \(error.message)"
        }
        return outcome
    }

    private static func unanswered(_ item: ReplayItem, _ header: LaneHeader, note: String?) -> ReplayOutcome {
        ReplayOutcome(source: item.source, offset: item.offset, controlID: header.controlID,
                      messageType: header.messageType, ack: "error", errors: [], duplicate: false, note: note)
    }

    static func outcome(_ item: ReplayItem, _ result: InboundResult) -> ReplayOutcome {
        var outcome = ReplayOutcome(source: item.source, offset: item.offset, controlID: result.controlID, messageType: result.messageType,
                                    ack: result.ack == nil ? "none" : (result.ackCode.isEmpty ? "none" : result.ackCode),
                                    errors: [], duplicate: result.duplicate, note: result.storageFailure)
        outcome.sequence = result.sequence
        // Only an answer with an ERR segment is parsed for its errors (most carry none).
        if let ack = result.ack, AckSummary.mayCarryErrors(ack), let summary = try? AckSummary(parsing: ack) {
            outcome.errors = summary.errors.map { "\($0.code)\($0.text.map { " \($0)" } ?? "")" }
        }
        return outcome
    }
}

/// Counts of outcomes by ACK code and by message type.
public struct ReplaySummary: Sendable, Equatable {
    public var total = 0
    public var byAck: [String: Int] = [:]
    public var byType: [String: [String: Int]] = [:]
    public var duplicates = 0

    public init(_ outcomes: [ReplayOutcome]) {
        for outcome in outcomes {
            total += 1
            byAck[outcome.ack, default: 0] += 1
            byType[outcome.messageType.isEmpty ? "unknown" : outcome.messageType, default: [:]][outcome.ack, default: 0] += 1
            if outcome.duplicate { duplicates += 1 }
        }
    }

    /// Lines for a person.
    public var text: String {
        var lines = ["\(total) messages: " + byAck.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                        + (duplicates > 0 ? " (\(duplicates) already stored)" : "")]
        for (type, counts) in byType.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(type): " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

/// Spaces sends to a rate (messages per second, per lane).
final class Pacing: Sendable {
    let rate: Double
    private let sent = Mutex(0)

    init(rate: Double) { self.rate = rate }

    func wait(started: ContinuousClock.Instant) async {
        let index = sent.withLock { count -> Int in
            defer { count += 1 }
            return count
        }
        guard rate > 0 else { return }
        let due = started + .nanoseconds(Int64(Double(index) / rate * 1e9))
        if due > ContinuousClock.now { try? await Task.sleep(until: due, clock: .continuous) }
    }
}

/// Tells a replay to stop sending (Ctrl-C, `--stop-on-error`): what is in flight is still
/// answered and reported.
public final class StopFlag: Sendable {
    private let flag = Atomic(false)
    public init() {}
    public var isSet: Bool { flag.load(ordering: .relaxed) }
    public func set() { flag.store(true, ordering: .relaxed) }
}
