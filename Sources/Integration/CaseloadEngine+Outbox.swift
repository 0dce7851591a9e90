// The live outbox: the dispatchers' ledger and the operators' actions. Each change is applied
// under the caseload lock and its record submitted there, like a decision, so the journal order
// is the order of the changes and a snapshot's copy matches a journal prefix.
import CaseloadStore
import Journal
public import Outbox
import Synchronization

extension CaseloadEngine: OutboxLedger {
    /// Calls `listener` with the destinations that have new work (entries committed, a retry, a
    /// rebuild). Set once by the dispatcher service.
    public func setOutboxListener(_ listener: @escaping @Sendable ([String]) -> Void) {
        let box = OutboxListener(listener)
        outboxListener.withLock { $0 = box }
    }

    /// Reads the outbox (keep `body` short: decisions wait meanwhile).
    public func readOutbox<T>(_ body: (borrowing OutboxState) -> T) -> T {
        withLive { body($0.outbox) }
    }

    public func nextStep(for destination: String, now: Int64) -> DeliveryStep {
        withLive { live in
            guard !live.rebuilding, let queue = live.outbox.queues[destination] else { return .idle }
            return queue.nextStep(now: now)
        }
    }

    public func startAttempt(for destination: String, now: Int64) -> OutboxEntry? {
        withLive { live -> OutboxEntry? in
            guard !live.rebuilding,
                  let change = live.outbox.withQueue(destination, { $0.startAttempt(now: now) }),
                  case .attempted(let id, _, _) = change else { return nil }
            submit(change, destination: destination, actor: "", now: now, live: &live, completion: nil)
            return live.outbox.queues[destination]?.open.first { $0.id == id }
        }
    }

    public func finishAttempt(for destination: String, entryID: String, answer: DeliveryAnswer, policy: DeliveryPolicy, now: Int64,
                              random: Double) -> OutboxChange? {
        withLive { live -> OutboxChange? in
            guard !live.rebuilding, live.outbox.queues[destination]?.inFlight == entryID,
                  let change = live.outbox.withQueue(destination, { queue -> OutboxChange? in
                      queue.policy = policy  // the configured one (policies are settings, not journaled state)
                      return queue.finishAttempt(answer, now: now, random: random)
                  })
            else { return nil }
            submit(change, destination: destination, actor: "", now: now, live: &live, completion: nil)
            return change
        }
    }

    /// Why an operator's outbox action was not taken.
    public enum OutboxActionFailure: Error, Sendable, Equatable, CustomStringConvertible {
        case refused(OutboxActionError)
        case unavailable(String)

        public var description: String {
            switch self {
            case .refused(let error): "\(error)"
            case .unavailable(let reason): reason
            }
        }
    }

    /// An operator sends a dead letter again; returns once the change is durable.
    public func retryOutboxEntry(_ id: String, by actor: String, now: Int64) async throws(OutboxActionFailure) -> OutboxChange {
        try await operatorAction(id, by: actor, now: now) { queue throws(OutboxActionError) in try queue.retry(id, now: now) }
    }

    /// An operator gives up on an entry (pending or dead-lettered, not in flight).
    public func dropOutboxEntry(_ id: String, by actor: String, now: Int64) async throws(OutboxActionFailure) -> OutboxChange {
        try await operatorAction(id, by: actor, now: now) { queue throws(OutboxActionError) in try queue.drop(id, now: now) }
    }

    private func operatorAction(
        _ id: String, by actor: String, now: Int64, _ body: @escaping (inout DestinationQueue) throws(OutboxActionError) -> OutboxChange
    ) async throws(OutboxActionFailure) -> OutboxChange {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<(OutboxChange, String), OutboxActionFailure>, Never>) in
            withLive { live in
                if live.rebuilding { return continuation.resume(returning: .failure(.unavailable("outbox being rebuilt after a storage failure"))) }
                guard let destination = live.outbox.destination(ofOpen: id) else {
                    let status = live.outbox.entry(id)?.status
                    return continuation.resume(returning: .failure(.refused(status.map { .finished(id, $0) } ?? .unknownEntry(id))))
                }
                let change: OutboxChange
                do throws(OutboxActionError) {
                    change = try live.outbox.withQueue(destination) { queue throws(OutboxActionError) in try body(&queue) }
                } catch {
                    return continuation.resume(returning: .failure(.refused(error)))
                }
                submit(change, destination: destination, actor: actor, now: now, live: &live) { result in
                    switch result {
                    case .success: continuation.resume(returning: .success((change, destination)))
                    case .failure(let error): continuation.resume(returning: .failure(.unavailable("not stored: journal \(error.code)")))
                    }
                }
            }
        }
        let (change, destination) = try result.get()
        notifyOutbox([destination])
        return change
    }

    /// Appends an outbox change (the lock is held: journal order is change order). A failed
    /// append leaves the live outbox ahead of the journal: rebuilt like the caseload.
    private func submit(
        _ change: OutboxChange, destination: String, actor: String, now: Int64, live: inout Live,
        completion: (@Sendable (Result<UInt64, JournalError>) -> Void)?
    ) {
        live.pending += 1
        let record = OutboxRecord(recordedAtMicroseconds: now * 1000, destination: destination, change: change, actor: actor)
        store.journal.append(OutboxRecordCodec.encode(record)) { [self] result in
            switch result {
            case .success(let sequence): committedWithoutEvents(sequence: sequence)
            case .failure: failed()
            }
            completion?(result)
        }
    }
}
