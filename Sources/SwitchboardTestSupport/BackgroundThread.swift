// A plain POSIX thread for blocking work in tests (socket floods, slow senders, pipe readers),
// so blocking calls never occupy the Swift concurrency pool.
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` on its own thread; ``join()`` waits for it and returns its result.
///
/// ```swift
/// let writer = BackgroundThread { LoopbackMLLPConnection.send(fd: fd, bytes) }
/// ... read on this thread ...
/// let (sent, error) = writer.join()
/// ```
public final class BackgroundThread<Result: Sendable>: Sendable {
    private let result = Mutex<Result?>(nil)
    private let thread: Mutex<pthread_t?>

    public init(_ body: @escaping @Sendable () -> Result) {
        thread = Mutex(nil)
        let job = ThreadJob { [self] in
            let value = body()
            self.result.withLock { $0 = value }
        }
        var handle = pthread_t()
        let context = Unmanaged.passRetained(job).toOpaque()
        let status = pthread_create(&handle, nil, { raw in
            let job = Unmanaged<ThreadJob>.fromOpaque(raw!).takeRetainedValue()
            job.body()
            return nil
        }, context)
        if status != 0 {
            // No thread: run inline rather than lose the work.
            Unmanaged<ThreadJob>.fromOpaque(context).release()
            job.body()
        } else {
            thread.withLock { $0 = handle }
        }
    }

    /// Waits for the thread to finish and returns what `body` returned.
    public func join() -> Result {
        if let handle = thread.withLock({ value -> pthread_t? in defer { value = nil }; return value }) {
            pthread_join(handle, nil)
        }
        return result.withLock { $0! }
    }
}

private final class ThreadJob: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// Sleeps the calling thread.
public func sleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

/// A monotonic clock reading in seconds, for deadlines and latency figures.
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A flag one thread raises and others poll (stop a flood, a sampler).
public final class StopSignal: Sendable {
    private let raised = Atomic<Bool>(false)
    public init() {}
    public func raise() { raised.store(true, ordering: .releasing) }
    public var isRaised: Bool { raised.load(ordering: .acquiring) }
}
