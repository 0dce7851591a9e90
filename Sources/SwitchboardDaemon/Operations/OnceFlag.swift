// A boolean shared between tasks (Atomic is non-copyable and cannot be captured by closures).
import Synchronization

/// A shared flag: `claim()` returns true to exactly one caller until `release()`.
final class SharedFlag: Sendable {
    private let value = Atomic<Bool>(false)

    /// Sets the flag; true when it was clear (this caller won).
    func claim() -> Bool { !value.exchange(true, ordering: .acquiringAndReleasing) }

    /// Clears the flag.
    func release() { value.store(false, ordering: .releasing) }
}
