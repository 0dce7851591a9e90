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
        _ items: [ReplayItem], configuration: DaemonConfiguration, window: Int = 256, logger: Logger,
        each: @escaping @Sendable (Int, ReplayOutcome) -> Void = { _, _ in }
    ) async throws(DaemonError) -> [ReplayOutcome] {
        do {
            try ProcessHardening.prepareStateDirectory(configuration.stateDirectory)
        } catch {
            throw DaemonError("\(error)")
        }
        let journal: FileJournal
        do {
            journal = try await FileJournal.open(configuration.journal, logger: logger)
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
        let outcomes = await process(items, store: store, engine: engine, configuration: configuration, window: window, each: each)
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
        _ items: [ReplayItem], configuration: DaemonConfiguration, stateDirectory: String?, window: Int = 256, logger: Logger,
        each: @escaping @Sendable (Int, ReplayOutcome) -> Void = { _, _ in }
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
        var outcomes = await process(items, store: store, engine: engine, configuration: configuration, window: window, each: { _, _ in })
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

    /// The shared loop: `window` messages in flight through the pipeline, in file order.
    private static func process(
        _ items: [ReplayItem], store: InboundStore, engine: CaseloadEngine, configuration: DaemonConfiguration, window: Int,
        each: @escaping @Sendable (Int, ReplayOutcome) -> Void
    ) async -> [ReplayOutcome] {
        var inbound = configuration.inbound
        inbound.maxInFlight = max(inbound.maxInFlight, window)
        let pipeline = InboundPipeline(configuration: inbound, store: store, caseload: engine, now: { WallClock.microseconds() })

        var outcomes = [ReplayOutcome?](repeating: nil, count: items.count)
        let (answers, continuation) = AsyncStream<(Int, InboundResult)>.makeStream()
        var iterator = answers.makeAsyncIterator()
        var next = 0, done = 0, inFlight = 0
        while done < items.count {
            // Refill in bursts, once half the window came back: appends submitted together are
            // written with one fdatasync (a refill per answer would make batches of one).
            if inFlight <= window / 2 {
                while inFlight < max(1, window), next < items.count {
                    let index = next
                    let item = items[index]
                    pipeline.process(item.bytes, receipt: InboundReceipt(listener: "replay", peer: "\(item.source):\(item.offset)",
                                                                          receivedAtMicroseconds: WallClock.microseconds())) { result in
                        continuation.yield((index, result))
                    }
                    next += 1
                    inFlight += 1
                }
            }
            guard let (index, result) = await iterator.next() else { break }
            let outcome = Self.outcome(items[index], result)
            outcomes[index] = outcome
            each(index, outcome)
            inFlight -= 1
            done += 1
        }
        continuation.finish()
        return outcomes.compactMap { $0 }
    }

    /// Sends `items` to a running daemon, one in flight, in file order; a message without an
    /// answer within `timeout` is sent again (the same bytes) on a new connection, up to
    /// `resends` times. With `stopOnError` it stops at the first message not accepted.
    public static func online(
        _ items: [ReplayItem], to endpoint: MLLPEndpoint, tls: MLLPClientTLSConfiguration?, timeout: Duration,
        resends: Int = 2, messagesPerSecond: Double? = nil, stopOnError: Bool = false,
        each: (Int, ReplayOutcome) -> Void = { _, _ in }
    ) async throws(MLLPClientError) -> [ReplayOutcome] {
        var outcomes: [ReplayOutcome] = []
        var client: MLLPClient?
        let started = ContinuousClock.now
        for (index, item) in items.enumerated() {
            if let rate = messagesPerSecond, rate > 0 {
                let due = started + .nanoseconds(Int64(Double(index) / rate * 1e9))
                if due > ContinuousClock.now { try? await Task.sleep(until: due, clock: .continuous) }
            }
            let header = HL7HeaderPeek.peek(item.bytes)
            var outcome = ReplayOutcome(source: item.source, offset: item.offset, controlID: header?.controlID ?? "",
                                        messageType: header?.messageType ?? "", ack: "error", errors: [], duplicate: false, note: nil)
            var attempt = 0
            while true {
                attempt += 1
                do {
                    if client == nil {
                        client = try await MLLPClient.connect(host: endpoint.host, port: endpoint.port, tls: tls, connectTimeout: .seconds(10))
                    }
                    let response = try await client!.send(item.bytes, timeout: timeout)
                    do {
                        let ack = try AckSummary(parsing: Array(response.readableBytesView))
                        outcome.ack = ack.code
                        outcome.errors = ack.errors.map { "\($0.code)\($0.text.map { " \($0)" } ?? "")" }
                        if ack.controlID != outcome.controlID {
                            outcome.ack = "error"
                            outcome.note = "MSA-2 '\(ack.controlID)' is not the message's MSH-10 '\(outcome.controlID)'"
                        }
                    } catch {
                        outcome.note = "the answer is not an ACK: \(error.message)"
                    }
                    break
                } catch {
                    try? await client?.close()
                    client = nil
                    // Nothing listening at the start: say so instead of failing every message.
                    if error.code == .connectFailed, attempt == 1, outcomes.isEmpty { throw error }
                    outcome.note = "\(error) (attempt \(attempt))"
                    if attempt > resends { break }
                }
            }
            outcomes.append(outcome)
            each(index, outcome)
            if stopOnError, !outcome.accepted { break }
        }
        try? await client?.close()
        return outcomes
    }

    static func outcome(_ item: ReplayItem, _ result: InboundResult) -> ReplayOutcome {
        var outcome = ReplayOutcome(source: item.source, offset: item.offset, controlID: result.controlID, messageType: result.messageType,
                                    ack: result.ack == nil ? "none" : (result.ackCode.isEmpty ? "none" : result.ackCode),
                                    errors: [], duplicate: result.duplicate, note: result.storageFailure)
        outcome.sequence = result.sequence
        if let ack = result.ack, let summary = try? AckSummary(parsing: ack) {
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
