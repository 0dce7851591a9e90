// The journal's dedicated I/O thread. Blocking calls (pwrite, fdatasync, rename) never run on
// Swift's cooperative pool, which has only as many threads as cores (two here): a 100 µs fsync
// there would stall every connection. Callers enqueue jobs under a Mutex and suspend on a
// continuation; the thread drains the queue, batching consecutive appends into one write and
// one fdatasync (group commit), and resumes the continuations.
import Glibc
import Synchronization

/// Told the outcome of an append, on the journal's I/O thread: it must return quickly (resume a
/// continuation, or hand over to an event loop) because the next batch waits for it.
public typealias JournalAppendCompletion = @Sendable (Result<UInt64, JournalError>) -> Void

/// A unit of work for the I/O thread.
enum JournalJob: Sendable {
    /// Append these payloads as consecutive records (kept in one batch); complete with the first
    /// sequence.
    case append([[UInt8]], JournalAppendCompletion)
    /// Run arbitrary work with the writer (open, snapshots, reads, close).
    case run(@Sendable (inout SegmentWriter?) -> Void)
}

final class JournalThread: Sendable {
    private struct Queue: ~Copyable {
        var jobs: [JournalJob] = []
        /// Records in the queued append jobs.
        var records = 0
        var sleeping = false
        var stopping = false
        /// While the thread gathers a batch: how many queued records end the wait early.
        /// Zero when it is not gathering.
        var gatherUntil = 0
    }

    /// How long the thread may wait for a batch to fill up (to `gatherTarget` records, or the
    /// size of the previous batch).
    private let gatherWindowNanoseconds: Int64
    /// The batch size worth waiting for; 0: the previous batch's size.
    private let gatherTarget: Int

    private let queue = Mutex(Queue())
    private nonisolated(unsafe) let wakeup: UnsafeMutablePointer<sem_t>
    private let maxBatchRecords: Int
    private let maxBatchBytes: Int

    init(maxBatchRecords: Int, maxBatchBytes: Int, gatherWindowNanoseconds: Int64 = 300_000, gatherTarget: Int = 0) {
        self.maxBatchRecords = maxBatchRecords
        self.maxBatchBytes = maxBatchBytes
        self.gatherWindowNanoseconds = gatherWindowNanoseconds
        self.gatherTarget = min(gatherTarget, maxBatchRecords)
        wakeup = .allocate(capacity: 1)
        sem_init(wakeup, 0, 0)
    }

    deinit {
        sem_destroy(wakeup)
        wakeup.deallocate()
    }

    /// Starts the thread. It holds a reference to `self` until it exits.
    func start() {
        let box = Unmanaged.passRetained(ThreadEntry { [self] in self.runLoop() }).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            let entry = Unmanaged<ThreadEntry>.fromOpaque(raw!).takeRetainedValue()
            entry.body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(thread)
    }

    /// Enqueues a job; false if the thread is stopping (the job was not taken).
    func submit(_ job: JournalJob) -> Bool {
        let (accepted, wake) = queue.withLock { queue -> (Bool, Bool) in
            if queue.stopping { return (false, false) }
            queue.jobs.append(job)
            if case .append(let payloads, _) = job { queue.records += payloads.count }
            var wake = queue.sleeping
            queue.sleeping = false
            if queue.gatherUntil > 0, queue.records >= queue.gatherUntil || !isAppend(job) {
                queue.gatherUntil = 0
                wake = true
            }
            return (true, wake)
        }
        if wake { sem_post(wakeup) }
        return accepted
    }

    /// Asks the thread to exit once the queue is empty.
    func stop() {
        let wake = queue.withLock { queue -> Bool in
            queue.stopping = true
            let wake = queue.sleeping || queue.gatherUntil > 0
            queue.sleeping = false
            queue.gatherUntil = 0
            return wake
        }
        if wake { sem_post(wakeup) }
    }

    /// Blocks until there are jobs; nil when stopping with nothing left.
    ///
    /// Group-commit gathering: when appends are queued but fewer records than `want` (the size
    /// of the previous batch), the thread sleeps until `want` records are queued or the gather
    /// window has passed, so that the appenders it just resumed can queue their next records and
    /// share the next fdatasync. It sleeps rather than spins: on two cores a spinning I/O thread
    /// would take the CPU the appenders need. A single appender has `want` 1 and never waits;
    /// when load drops, one window's wait resets `want`.
    private func takeJobs(want: Int) -> [JournalJob]? {
        enum Step { case take([JournalJob]), sleep, gather, finish }
        var gathered = false
        while true {
            let step = queue.withLock { queue -> Step in
                if !queue.jobs.isEmpty {
                    let onlyAppends = queue.records > 0 && queue.jobs.allSatisfy(isAppend)
                    if onlyAppends && queue.records < want && !gathered && !queue.stopping {
                        queue.gatherUntil = want
                        return .gather
                    }
                    let jobs = queue.jobs
                    queue.jobs = []
                    queue.jobs.reserveCapacity(jobs.count)
                    queue.records = 0
                    return .take(jobs)
                }
                if queue.stopping { return .finish }
                queue.sleeping = true
                return .sleep
            }
            switch step {
            case .take(let jobs): return jobs
            case .finish: return nil
            case .gather:
                gathered = true
                var deadline = timespec()
                clock_gettime(CLOCK_REALTIME, &deadline)
                let nanoseconds = Int(deadline.tv_nsec) + Int(gatherWindowNanoseconds)
                deadline.tv_sec += nanoseconds / 1_000_000_000
                deadline.tv_nsec = nanoseconds % 1_000_000_000
                var woken = false
                while true {
                    if sem_timedwait(wakeup, &deadline) == 0 { woken = true; break }
                    if errno != EINTR { break }  // ETIMEDOUT
                }
                if !woken {
                    // Timed out. If a submitter cleared `gatherUntil` meanwhile, its post is on
                    // its way: take it, so the semaphore stays balanced.
                    let postPending = queue.withLock { queue -> Bool in
                        let pending = queue.gatherUntil == 0
                        queue.gatherUntil = 0
                        return pending
                    }
                    if postPending { while sem_wait(wakeup) != 0 {} }
                }
            case .sleep:
                while sem_wait(wakeup) != 0 {}  // EINTR: wait again
            }
        }
    }

    private func runLoop() {
        var writer: SegmentWriter?
        var payloads: [[UInt8]] = []
        var waiting: [Waiter] = []
        var lastBatch = 1
        while let jobs = takeJobs(want: gatherTarget > 0 ? gatherTarget : lastBatch) {
            var index = 0
            while index < jobs.count {
                switch jobs[index] {
                case .run(let body):
                    body(&writer)
                    index += 1
                case .append:
                    // Group commit: gather consecutive appends up to the batch bounds.
                    payloads.removeAll(keepingCapacity: true)
                    waiting.removeAll(keepingCapacity: true)
                    var bytes = 0
                    while index < jobs.count, case .append(let more, let complete) = jobs[index] {
                        let moreBytes = more.reduce(0) { $0 + $1.count + RecordHeader.size }
                        if !payloads.isEmpty
                            && (payloads.count + more.count > maxBatchRecords || bytes + moreBytes > maxBatchBytes)
                        { break }
                        payloads.append(contentsOf: more)
                        waiting.append(Waiter(complete: complete, records: more.count))
                        bytes += moreBytes
                        index += 1
                    }
                    lastBatch = min(payloads.count, maxBatchRecords)
                    let result: Result<UInt64, JournalError>
                    if let writer {
                        result = Result { () throws(JournalError) in try writer.append(payloads) }
                    } else {
                        result = .failure(JournalError(code: .closed, message: "the journal is not open"))
                    }
                    var sequence = (try? result.get()) ?? 0
                    for waiter in waiting {
                        waiter.complete(result.map { _ in sequence })
                        sequence += UInt64(waiter.records)
                    }
                }
            }
        }
        writer?.close()
    }
}

/// An append waiting for its batch's fdatasync (a struct, not a tuple: no runtime tuple metadata
/// per batch).
private struct Waiter {
    var complete: JournalAppendCompletion
    var records: Int
}

private func isAppend(_ job: JournalJob) -> Bool {
    if case .append = job { return true }
    return false
}

private final class ThreadEntry {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
