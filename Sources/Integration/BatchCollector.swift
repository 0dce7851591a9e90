// Gathers the per-message results of a batch, which complete on different threads.
import Synchronization

/// Calls `done` once every message of a batch has its result, with the results in order.
final class BatchCollector: Sendable {
    private let results: Mutex<(slots: [InboundResult?], missing: Int)>
    private let done: @Sendable ([InboundResult]) -> Void

    init(count: Int, done: @escaping @Sendable ([InboundResult]) -> Void) {
        results = Mutex((Array(repeating: nil, count: count), count))
        self.done = done
    }

    func set(_ index: Int, _ result: InboundResult) {
        let finished: [InboundResult]? = results.withLock { state in
            guard state.slots[index] == nil else { return nil }
            state.slots[index] = result
            state.missing -= 1
            return state.missing == 0 ? state.slots.map { $0! } : nil
        }
        if let finished { done(finished) }
    }
}
