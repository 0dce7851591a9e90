// A JournalStorage wrapper that fails chosen operations: the Nth write or sync, once (transient)
// or from then on (persistent), with a chosen errno. It also logs every operation, so a test can
// check what the journal did after a failure (TESTPLAN T7, T8).
package import Journal
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
package import SystemPackage

/// Which operations to fail and how.
package struct FaultRule: Sendable {
    /// The kind of operation to fail.
    package var kind: StorageOperationKind
    /// Fail the `nth` operation of this kind (1-based) that matches `pathContains`.
    package var nth: Int
    /// The error to return.
    package var errno: Errno
    /// Keep failing every later matching operation too.
    package var persistent: Bool
    /// Only operations whose path contains this string count (nil: all).
    package var pathContains: String?
    /// For writes: bytes actually written before the error (a short write, as with ENOSPC).
    package var partialBytes: Int

    package init(
        _ kind: StorageOperationKind, nth: Int, errno: Errno, persistent: Bool = false,
        pathContains: String? = nil, partialBytes: Int = 0
    ) {
        self.kind = kind
        self.nth = nth
        self.errno = errno
        self.persistent = persistent
        self.pathContains = pathContains
        self.partialBytes = partialBytes
    }
}

/// Wraps another storage and injects the faults its rules describe.
package final class FaultInjectingStorage: JournalStorage {
    private struct State {
        var rules: [FaultRule]
        var counts: [Int]
        var log: [(StorageOperation, failed: Bool)] = []
    }

    private let base: any JournalStorage
    private let state: Mutex<State>
    private let syncDelay = Atomic<Int>(0)

    /// Makes every file sync take at least this long (a slow disk), so tests can show what
    /// queues up behind an fdatasync.
    package var syncDelayMicroseconds: Int {
        get { syncDelay.load(ordering: .relaxed) }
        set { syncDelay.store(newValue, ordering: .relaxed) }
    }

    package init(wrapping base: any JournalStorage, rules: [FaultRule] = []) {
        self.base = base
        state = Mutex(State(rules: rules, counts: Array(repeating: 0, count: rules.count)))
    }

    /// Replaces the rules (counts restart).
    package func setRules(_ rules: [FaultRule]) {
        state.withLock { $0.rules = rules; $0.counts = Array(repeating: 0, count: rules.count) }
    }

    /// Every operation seen so far, with whether it was failed.
    package var log: [(operation: StorageOperation, failed: Bool)] {
        state.withLock { $0.log.map { ($0.0, $0.failed) } }
    }

    /// Decides whether `operation` fails; returns the rule's errno and partial byte count.
    func check(_ operation: StorageOperation) -> (Errno, Int)? {
        state.withLock { state -> (Errno, Int)? in
            var verdict: (Errno, Int)?
            for (index, rule) in state.rules.enumerated() where rule.kind == operation.kind {
                if let needle = rule.pathContains, !operation.path.contains(needle) { continue }
                state.counts[index] += 1
                let n = state.counts[index]
                if n == rule.nth || (rule.persistent && n > rule.nth) {
                    verdict = verdict ?? (rule.errno, rule.partialBytes)
                }
            }
            state.log.append((operation, verdict != nil))
            return verdict
        }
    }

    private func guarded<T>(_ operation: StorageOperation, _ body: () throws(Errno) -> T) throws(Errno) -> T {
        if let (error, _) = check(operation) { throw error }
        return try body()
    }

    package func createDirectory(_ path: String) throws(Errno) {
        try guarded(.init(kind: .createDirectory, path: path)) { () throws(Errno) in try base.createDirectory(path) }
    }

    package func contentsOfDirectory(_ path: String) throws(Errno) -> [String] {
        try base.contentsOfDirectory(path)
    }

    package func open(_ path: String, mode: StorageOpenMode) throws(Errno) -> any JournalFile {
        let creates = mode == .create || mode == .createTruncating
        return try guarded(.init(kind: .open, path: path, creates: creates)) { () throws(Errno) in
            FaultInjectingFile(base: try base.open(path, mode: mode), path: path, storage: self)
        }
    }

    package func lockExclusively(_ path: String) throws(Errno) -> any JournalFile {
        try guarded(.init(kind: .lock, path: path)) { () throws(Errno) in
            FaultInjectingFile(base: try base.lockExclusively(path), path: path, storage: self)
        }
    }

    package func rename(_ source: String, to destination: String) throws(Errno) {
        try guarded(.init(kind: .rename, path: source, destination: destination)) { () throws(Errno) in
            try base.rename(source, to: destination)
        }
    }

    package func remove(_ path: String) throws(Errno) {
        try guarded(.init(kind: .remove, path: path)) { () throws(Errno) in try base.remove(path) }
    }

    package func syncDirectory(_ path: String) throws(Errno) {
        try guarded(.init(kind: .syncDirectory, path: path)) { () throws(Errno) in try base.syncDirectory(path) }
    }

    package func status(of path: String) throws(Errno) -> StorageFileStatus { try base.status(of: path) }

    package func now() -> Int64 { base.now() }
}

final class FaultInjectingFile: JournalFile {
    let base: any JournalFile
    let path: String
    let storage: FaultInjectingStorage

    init(base: any JournalFile, path: String, storage: FaultInjectingStorage) {
        self.base = base
        self.path = path
        self.storage = storage
    }

    func size() throws(Errno) -> Int64 { try base.size() }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try base.read(into: buffer, at: offset)
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) {
        if let (error, partial) = storage.check(.init(kind: .write, path: path)) {
            if partial > 0 {
                try base.write(UnsafeRawBufferPointer(rebasing: bytes[..<min(partial, bytes.count)]), at: offset)
            }
            throw error
        }
        try base.write(bytes, at: offset)
    }

    func sync() throws(Errno) {
        if let (error, _) = storage.check(.init(kind: .sync, path: path)) { throw error }
        let delay = storage.syncDelayMicroseconds
        if delay > 0 { usleep(UInt32(delay)) }
        try base.sync()
    }

    func truncate(to size: Int64) throws(Errno) {
        if let (error, _) = storage.check(.init(kind: .truncate, path: path)) { throw error }
        try base.truncate(to: size)
    }

    func close() { base.close() }
}
