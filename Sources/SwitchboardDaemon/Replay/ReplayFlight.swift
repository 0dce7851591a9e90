// The two halves of an offline replay's loop: frames prepared ahead in chunks on the other core,
// and the bounded window of appends in flight with the outcomes as they complete.
import Integration
import Synchronization

/// Prepares an archive's frames (parse, validate, map: ``InboundPipeline/prepare(_:)``) a few
/// chunks ahead of the submitter, each chunk a task of its own, so that the stateless half of the
/// pipeline runs on the second core while the first decides and appends in file order.
struct PreparedChunks {
    private let items: [ReplayItem]
    private let pipeline: InboundPipeline
    private let chunkSize: Int
    private let ahead: Int
    private var started = 0
    private var pending: [(range: Range<Int>, task: Task<[PreparedFrame], Never>)] = []

    init(items: [ReplayItem], pipeline: InboundPipeline, chunkSize: Int = 256, ahead: Int = 4) {
        self.items = items
        self.pipeline = pipeline
        self.chunkSize = max(1, chunkSize)
        self.ahead = max(1, ahead)
    }

    /// The next chunk, in order: its item indices and their prepared frames. Call only while
    /// items remain (fewer calls than `items.count / chunkSize` rounded up).
    mutating func next() async -> (Range<Int>, [PreparedFrame]) {
        while pending.count < ahead, started < items.count {
            let range = started..<min(items.count, started + chunkSize)
            let (items, pipeline) = (items, pipeline)
            // Chunks may run side by side (both pool threads) when the submitter waits anyway;
            // tried: chaining each chunk after the one before (one preparing thread at most)
            // measured 6% slower over six interleaved runs.
            pending.append((range, Task {
                var frames: [PreparedFrame] = []
                frames.reserveCapacity(range.count)
                for index in range {
                    if Task.isCancelled { break }  // after a stop: not needed
                    frames.append(pipeline.prepare(items[index].bytes))
                }
                return frames
            }))
            started = range.upperBound
        }
        let chunk = pending.removeFirst()
        return (chunk.range, await chunk.task.value)
    }

    /// Stops preparing what was not asked for.
    func cancel() {
        for chunk in pending { chunk.task.cancel() }
    }
}

/// The appends of a replay in flight: at most `window` at once, their outcomes by item index.
/// A submitter that finds the window full waits until half of it came back, so that the appends
/// it then submits together share one fdatasync.
final class ReplayFlight: Sendable {
    private struct State {
        var outcomes: [ReplayOutcome?]
        var inFlight = 0
        var waiter: CheckedContinuation<Void, Never>?
        /// The waiter resumes once no more than this many are in flight.
        var wakeAt = 0
    }

    private let window: Int
    private let state: Mutex<State>

    init(count: Int, window: Int) {
        self.window = max(1, window)
        state = Mutex(State(outcomes: [ReplayOutcome?](repeating: nil, count: count)))
    }

    /// Takes a place in the window, waiting while it is full.
    func reserve() async {
        let taken = state.withLock { state -> Bool in
            guard state.inFlight < window else { return false }
            state.inFlight += 1
            return true
        }
        if taken { return }
        await wait(untilAtMost: window / 2)
        state.withLock { $0.inFlight += 1 }
    }

    /// One append came back (any thread; also synchronously inside the submission).
    func finish(_ index: Int, _ outcome: ReplayOutcome) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.outcomes[index] = outcome
            state.inFlight -= 1
            guard let waiter = state.waiter, state.inFlight <= state.wakeAt else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Waits for everything in flight, then returns the outcomes in item order (those never
    /// submitted, after a stop, are left out).
    func drained() async -> [ReplayOutcome] {
        await wait(untilAtMost: 0)
        return state.withLock { $0.outcomes.compactMap { $0 } }
    }

    private func wait(untilAtMost limit: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.inFlight <= limit { return true }
                state.waiter = continuation
                state.wakeAt = limit
                return false
            }
            if now { continuation.resume() }
        }
    }
}
