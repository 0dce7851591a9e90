// The answers to an online replay lane's frames, collected as they arrive so that the lane
// takes every answer already there without suspending, and suspends only for one not yet come.
import NIOCore
import Synchronization

/// Answers by ticket (one ticket per frame sent), filled in on the event loop.
final class LaneAnswers: Sendable {
    typealias Answer = Result<ByteBuffer, any Error>

    private struct State {
        var ready: [Int: Answer] = [:]
        var waiter: (ticket: Int, continuation: CheckedContinuation<Answer, Never>)?
        /// Answers to tickets at or below this one are stale (their connection was given up).
        var staleThrough = 0
    }

    private let state = Mutex(State())

    /// Files the answer of `future` under `ticket` when it completes.
    func watch(_ future: EventLoopFuture<ByteBuffer>, ticket: Int) {
        future.whenComplete { [self] answer in deliver(answer, ticket: ticket) }
    }

    private func deliver(_ answer: Answer, ticket: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Answer, Never>? in
            if let waiter = state.waiter, waiter.ticket == ticket {
                state.waiter = nil
                return waiter.continuation
            }
            if ticket > state.staleThrough { state.ready[ticket] = answer }
            return nil
        }
        waiter?.resume(returning: answer)
    }

    /// The answer for `ticket` if it has come.
    func takeIfReady(_ ticket: Int) -> Answer? {
        state.withLock { $0.ready.removeValue(forKey: ticket) }
    }

    /// The response for `ticket` if it has come and is one (a failure stays for ``take(_:)``).
    func takeIfAnswered(_ ticket: Int) -> ByteBuffer? {
        state.withLock { state -> ByteBuffer? in
            guard case .success(let response)? = state.ready[ticket] else { return nil }
            state.ready[ticket] = nil
            return response
        }
    }

    /// The answer for `ticket`, waiting for it if need be.
    func take(_ ticket: Int) async -> Answer {
        if let answer = takeIfReady(ticket) { return answer }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Answer, Never>) in
            let answer = state.withLock { state -> Answer? in
                if let answer = state.ready.removeValue(forKey: ticket) { return answer }
                state.waiter = (ticket, continuation)
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Forgets every ticket up to `ticket` (frames given up with their connection).
    func discard(through ticket: Int) {
        state.withLock { state in
            state.staleThrough = max(state.staleThrough, ticket)
            state.ready = state.ready.filter { $0.key > ticket }
        }
    }
}
