// The journal's dedicated I/O thread. Blocking calls (pwrite, fdatasync, rename) never run on
// Swift's cooperative pool, which has only as many threads as cores (two here): a 100 µs fsync
// there would stall every connection. Callers enqueue jobs under a Mutex and suspend on a
// continuation; the thread drains the queue, batching consecutive appends into one write and
// one fdatasync (group commit), and resumes the continuations.
import Glibc
import Synchronization

/// A unit of work for the I/O thread.
enum JournalJob: Sendable {
    /// Append these payloads as consecutive records (kept in one batch); resume with the first
    /// sequence.
    case append([[UInt8]], CheckedContinuation<Result<UInt64, JournalError>, Never>)
    /// Run arbitrary work with the writer (open, snapshots, reads, close).
    case run(@Sendable (inout SegmentWriter?) -> Void)
}

final class JournalThread: Sendable {
    private struct Queue: ~Copyable {
        var jobs: [JournalJob] = []
        var sleeping = false
        var stopping = false
    }

    private let queue = Mutex(Queue())
    private nonisolated(unsafe) let wakeup: UnsafeMutablePointer<sem_t>
    private let maxBatchRecords: Int
    private let maxBatchBytes: Int

    init(maxBatchRecords: Int, maxBatchBytes: Int) {
        self.maxBatchRecords = maxBatchRecords
        self.maxBatchBytes = maxBatchBytes
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
            let wake = queue.sleeping
            queue.sleeping = false
            return (true, wake)
        }
        if wake { sem_post(wakeup) }
        return accepted
    }

    /// Asks the thread to exit once the queue is empty.
    func stop() {
        let wake = queue.withLock { queue -> Bool in
            queue.stopping = true
            let wake = queue.sleeping
            queue.sleeping = false
            return wake
        }
        if wake { sem_post(wakeup) }
    }

    /// Blocks until there are jobs; nil when stopping with nothing left.
    private func takeJobs() -> [JournalJob]? {
        while true {
            let taken = queue.withLock { queue -> [JournalJob]?? in
                if !queue.jobs.isEmpty {
                    let jobs = queue.jobs
                    queue.jobs = []
                    queue.jobs.reserveCapacity(jobs.count)
                    return .some(jobs)
                }
                if queue.stopping { return .some(nil) }
                queue.sleeping = true
                return nil
            }
            if let taken { return taken }
            while sem_wait(wakeup) != 0 {}  // EINTR: wait again
        }
    }

    private func runLoop() {
        var writer: SegmentWriter?
        var payloads: [[UInt8]] = []
        var waiting: [(CheckedContinuation<Result<UInt64, JournalError>, Never>, Int)] = []
        while let jobs = takeJobs() {
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
                    while index < jobs.count, case .append(let more, let continuation) = jobs[index] {
                        let moreBytes = more.reduce(0) { $0 + $1.count + RecordHeader.size }
                        if !payloads.isEmpty
                            && (payloads.count + more.count > maxBatchRecords || bytes + moreBytes > maxBatchBytes)
                        { break }
                        payloads.append(contentsOf: more)
                        waiting.append((continuation, more.count))
                        bytes += moreBytes
                        index += 1
                    }
                    let result: Result<UInt64, JournalError>
                    if let writer {
                        result = Result { () throws(JournalError) in try writer.append(payloads) }
                    } else {
                        result = .failure(JournalError(code: .closed, message: "the journal is not open"))
                    }
                    var sequence = (try? result.get()) ?? 0
                    for (continuation, count) in waiting {
                        continuation.resume(returning: result.map { _ in sequence })
                        sequence += UInt64(count)
                    }
                }
            }
        }
        writer?.close()
    }
}

private final class ThreadEntry {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
