// An in-memory file system that simulates a power cut, after SQLite's crash VFS (src/test6.c).
//
// Every file keeps two images: `current` (what reads see) and `durable` (what the last sync
// saved). Directory entries likewise: the live namespace, and the one the last directory fsync
// saved, plus the log of entry changes since. `crash` (or a trigger) freezes the storage, which
// then refuses every call with EIO, as a dead process would. `imageAfterCrash(seed:)` then
// builds the disk a reboot would find:
//   - each file's length is its durable or its current length (chosen at random), and each
//     512-byte sector that differs between the two images is independently kept (new data),
//     dropped (old data, zeros past the old end) or trashed (random bytes);
//   - a random prefix of the unsynced directory changes survives (journaling file systems
//     commit metadata in order), so an unsynced create or rename may be lost.
// Synced data and synced directory entries always survive intact.
package import Journal
import Synchronization
package import SystemPackage

/// A simulated disk for crash tests. Thread-safe; deterministic for a given sequence of calls.
package final class CrashSimStorage: JournalStorage {
    /// Bytes per simulated sector.
    package static let sectorSize = 512

    struct Inode {
        var current: [UInt8] = []
        var durable: [UInt8] = []
        var modificationTime: Int64 = 0
    }

    enum EntryChange {
        case link(String, Int)
        case unlink(String)
        case rename(String, String)
    }

    struct State {
        var inodes: [Int: Inode] = [:]
        var nextInode = 1
        var directories: Set<String> = []
        var entries: [String: Int] = [:]
        var durableEntries: [String: Int] = [:]
        var unsyncedChanges: [EntryChange] = []
        var locks: Set<String> = []
        var clock: Int64 = 1_700_000_000_000_000_000
        var crashed = false
        var operations = 0
        var trigger: (@Sendable (StorageOperation, Int) -> Bool)?
        var crashedAt: StorageOperation?
    }

    let state: Mutex<State>

    package init() {
        state = Mutex(State())
    }

    private init(state: State) {
        self.state = Mutex(state)
    }

    // MARK: Test controls

    /// Crash at the first operation for which `trigger(operation, index)` is true (index counts
    /// mutating operations from 0). That operation does not happen.
    package func crash(when trigger: @escaping @Sendable (StorageOperation, Int) -> Bool) {
        state.withLock { $0.trigger = trigger }
    }

    /// Crash now.
    package func crashNow() { state.withLock { $0.crashed = true } }

    /// True once crashed.
    package var hasCrashed: Bool { state.withLock { $0.crashed } }

    /// The operation the trigger stopped, if any.
    package var crashedAt: StorageOperation? { state.withLock { $0.crashedAt } }

    /// Mutating operations performed so far.
    package var operationCount: Int { state.withLock { $0.operations } }

    /// Moves the simulated clock.
    package func advanceClock(by duration: Duration) {
        let (seconds, atto) = duration.components
        state.withLock { $0.clock += seconds * 1_000_000_000 + atto / 1_000_000_000 }
    }

    /// The disk a reboot would find after a crash now; this storage is left as it is.
    package func imageAfterCrash(seed: UInt64) -> CrashSimStorage {
        var random = SeededGenerator(seed: seed)
        let old = state.withLock { $0 }
        var fresh = State()
        fresh.clock = old.clock + 1_000_000_000
        fresh.directories = old.directories
        var entries = old.durableEntries
        let survivors = old.unsyncedChanges.isEmpty ? 0 : Int(random.next() % UInt64(old.unsyncedChanges.count + 1))
        for change in old.unsyncedChanges.prefix(survivors) {
            switch change {
            case .link(let path, let inode): entries[path] = inode
            case .unlink(let path): entries[path] = nil
            case .rename(let from, let to):
                if let inode = entries[from] {
                    entries[to] = inode
                    entries[from] = nil
                }
            }
        }
        for inodeID in Set(entries.values).sorted() {
            guard let inode = old.inodes[inodeID] else { continue }
            let data = Self.resolve(durable: inode.durable, current: inode.current, random: &random)
            fresh.inodes[inodeID] = Inode(current: data, durable: data, modificationTime: inode.modificationTime)
        }
        fresh.nextInode = old.nextInode
        fresh.entries = entries
        fresh.durableEntries = entries
        return CrashSimStorage(state: fresh)
    }

    /// The same disk with no crash: every unsynced write and entry kept (a clean process exit).
    package func imageAfterCleanExit() -> CrashSimStorage {
        let old = state.withLock { $0 }
        var fresh = old
        fresh.locks = []
        fresh.crashed = false
        fresh.trigger = nil
        fresh.crashedAt = nil
        fresh.unsyncedChanges = []
        fresh.durableEntries = fresh.entries
        for (id, inode) in fresh.inodes {
            fresh.inodes[id]?.durable = inode.current
        }
        return CrashSimStorage(state: fresh)
    }

    private static func resolve(durable: [UInt8], current: [UInt8], random: inout SeededGenerator) -> [UInt8] {
        if durable == current { return current }
        let length = random.next() % 2 == 0 ? durable.count : current.count
        var result = [UInt8](repeating: 0, count: length)
        let sector = sectorSize
        var start = 0
        while start < length {
            let end = min(start + sector, length)
            let oldSlice = start < durable.count ? Array(durable[start..<min(end, durable.count)]) : []
            let newSlice = start < current.count ? Array(current[start..<min(end, current.count)]) : []
            var chosen: [UInt8]
            if oldSlice == newSlice {
                chosen = newSlice
            } else {
                switch random.next() % 5 {
                case 0, 1: chosen = newSlice
                case 2, 3: chosen = oldSlice
                default: chosen = random.bytes(end - start)
                }
            }
            for (i, byte) in chosen.prefix(end - start).enumerated() { result[start + i] = byte }
            start = end
        }
        return result
    }

    /// Raw contents of a file (tests corrupt files through this).
    package func contents(of path: String) -> [UInt8]? {
        state.withLock { state in state.entries[path].flatMap { state.inodes[$0]?.current } }
    }

    /// Replaces a file's contents, durably (tests corrupt files through this).
    package func setContents(of path: String, to bytes: [UInt8]) {
        state.withLock { state in
            let id: Int
            if let existing = state.entries[path] {
                id = existing
            } else {
                id = state.nextInode
                state.nextInode += 1
                state.entries[path] = id
                state.durableEntries[path] = id
            }
            state.inodes[id] = Inode(current: bytes, durable: bytes, modificationTime: state.clock)
        }
    }

    /// An independent copy of this disk as it is now (current images), with no locks held.
    package func copy() -> CrashSimStorage { imageAfterCleanExit() }

    // MARK: Gatekeeping

    /// Counts a mutating operation and applies the crash trigger. Throws EIO once crashed.
    func admit(_ operation: StorageOperation, state: inout State) throws(Errno) {
        if state.crashed { throw .ioError }
        if let trigger = state.trigger, trigger(operation, state.operations) {
            state.crashed = true
            state.crashedAt = operation
            throw .ioError
        }
        state.operations += 1
    }

    private func locked<T>(_ body: (inout State) throws(Errno) -> T) throws(Errno) -> T {
        var outcome: Result<T, Errno>?
        state.withLock { state in outcome = Result { () throws(Errno) -> T in try body(&state) } }
        return try outcome!.get()
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    // MARK: JournalStorage

    package func createDirectory(_ path: String) throws(Errno) {
        try locked { (state) throws(Errno) in
            if state.directories.contains(path) { return }
            try admit(.init(kind: .createDirectory, path: path), state: &state)
            state.directories.insert(path)
        }
    }

    package func contentsOfDirectory(_ path: String) throws(Errno) -> [String] {
        try locked { (state) throws(Errno) -> [String] in
            if state.crashed { throw .ioError }
            guard state.directories.contains(path) else { throw .noSuchFileOrDirectory }
            let prefix = path.hasSuffix("/") ? path : path + "/"
            return state.entries.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }.sorted()
        }
    }

    package func open(_ path: String, mode: StorageOpenMode) throws(Errno) -> any JournalFile {
        try locked { (state) throws(Errno) -> any JournalFile in
            if state.crashed { throw .ioError }
            let creates = mode == .create || mode == .createTruncating
            if let id = state.entries[path] {
                if mode == .createTruncating {
                    try admit(.init(kind: .truncate, path: path), state: &state)
                    state.inodes[id]?.current = []
                }
                return CrashSimFile(storage: self, inode: id, path: path, writable: mode != .readOnly)
            }
            guard creates else { throw .noSuchFileOrDirectory }
            guard state.directories.contains(Self.parent(of: path)) else { throw .noSuchFileOrDirectory }
            try admit(.init(kind: .open, path: path, creates: true), state: &state)
            let id = state.nextInode
            state.nextInode += 1
            state.inodes[id] = Inode(modificationTime: state.clock)
            state.entries[path] = id
            state.unsyncedChanges.append(.link(path, id))
            return CrashSimFile(storage: self, inode: id, path: path, writable: true)
        }
    }

    package func lockExclusively(_ path: String) throws(Errno) -> any JournalFile {
        let file = try open(path, mode: .create)
        let taken = state.withLock { state -> Bool in state.locks.insert(path).inserted }
        guard taken else { throw .wouldBlock }
        (file as! CrashSimFile).heldLock = path
        return file
    }

    package func rename(_ source: String, to destination: String) throws(Errno) {
        try locked { (state) throws(Errno) in
            try admit(.init(kind: .rename, path: source, destination: destination), state: &state)
            guard let id = state.entries[source] else { throw .noSuchFileOrDirectory }
            state.entries[destination] = id
            state.entries[source] = nil
            state.unsyncedChanges.append(.rename(source, destination))
        }
    }

    package func remove(_ path: String) throws(Errno) {
        try locked { (state) throws(Errno) in
            try admit(.init(kind: .remove, path: path), state: &state)
            guard state.entries[path] != nil else { throw .noSuchFileOrDirectory }
            state.entries[path] = nil
            state.unsyncedChanges.append(.unlink(path))
        }
    }

    package func syncDirectory(_ path: String) throws(Errno) {
        try locked { (state) throws(Errno) in
            try admit(.init(kind: .syncDirectory, path: path), state: &state)
            // One directory per journal in these tests: a directory sync commits every change.
            state.durableEntries = state.entries
            state.unsyncedChanges.removeAll()
        }
    }

    package func status(of path: String) throws(Errno) -> StorageFileStatus {
        try locked { (state) throws(Errno) -> StorageFileStatus in
            if state.crashed { throw .ioError }
            if state.directories.contains(path) {
                return StorageFileStatus(size: 0, permissions: 0o700, modificationTime: state.clock, isDirectory: true)
            }
            guard let id = state.entries[path], let inode = state.inodes[id] else { throw .noSuchFileOrDirectory }
            return StorageFileStatus(
                size: Int64(inode.current.count), permissions: 0o600, modificationTime: inode.modificationTime,
                isDirectory: false)
        }
    }

    package func now() -> Int64 { state.withLock { $0.clock } }

    // MARK: File operations

    func withInode<T>(_ id: Int, _ operation: StorageOperation?, _ body: (inout Inode, Int64) throws(Errno) -> T) throws(Errno) -> T {
        try locked { (state) throws(Errno) -> T in
            if let operation {
                try admit(operation, state: &state)
            } else if state.crashed {
                throw .ioError
            }
            guard var inode = state.inodes[id] else { throw .badFileDescriptor }
            let result = try body(&inode, state.clock)
            state.inodes[id] = inode
            return result
        }
    }

    func releaseLock(_ path: String) {
        _ = state.withLock { $0.locks.remove(path) }
    }
}

final class CrashSimFile: JournalFile {
    let storage: CrashSimStorage
    let inode: Int
    let path: String
    let writable: Bool
    var heldLock: String?
    private var closed = false

    init(storage: CrashSimStorage, inode: Int, path: String, writable: Bool) {
        self.storage = storage
        self.inode = inode
        self.path = path
        self.writable = writable
    }

    private func checkOpen() throws(Errno) { if closed { throw .badFileDescriptor } }

    func size() throws(Errno) -> Int64 {
        try checkOpen()
        return try storage.withInode(inode, nil) { (inode, _) throws(Errno) -> Int64 in Int64(inode.current.count) }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try checkOpen()
        return try storage.withInode(inode, nil) { (inode, _) throws(Errno) -> Int in
            let start = Int(offset)
            guard start < inode.current.count else { return 0 }
            let n = min(buffer.count, inode.current.count - start)
            inode.current.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: n)
            }
            return n
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) {
        try checkOpen()
        guard writable else { throw .badFileDescriptor }
        try storage.withInode(inode, .init(kind: .write, path: path)) { (inode, now) throws(Errno) in
            let start = Int(offset)
            let end = start + bytes.count
            if inode.current.count < end {
                inode.current.append(contentsOf: repeatElement(0, count: end - inode.current.count))
            }
            inode.current.withUnsafeMutableBytes { target in
                if !bytes.isEmpty { (target.baseAddress! + start).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
            }
            inode.modificationTime = now
        }
    }

    func sync() throws(Errno) {
        try checkOpen()
        try storage.withInode(inode, .init(kind: .sync, path: path)) { (inode, _) throws(Errno) in
            inode.durable = inode.current
        }
    }

    func truncate(to size: Int64) throws(Errno) {
        try checkOpen()
        guard writable else { throw .badFileDescriptor }
        try storage.withInode(inode, .init(kind: .truncate, path: path)) { (inode, now) throws(Errno) in
            let n = Int(size)
            if inode.current.count > n {
                inode.current.removeLast(inode.current.count - n)
            } else {
                inode.current.append(contentsOf: repeatElement(0, count: n - inode.current.count))
            }
            inode.modificationTime = now
        }
    }

    func close() {
        if closed { return }
        closed = true
        if let heldLock { storage.releaseLock(heldLock) }
    }
}

extension CrashSimStorage {
    /// The crash trigger for a snapshot step (TESTPLAN T9): the temporary file's write or
    /// fsync, its rename, the directory fsync after that rename, or the first segment removal
    /// of the retention that follows.
    package static func crashPoint(_ step: SnapshotStep) -> @Sendable (StorageOperation, Int) -> Bool {
        let renamed = Atomic<Bool>(false)
        return { operation, _ in
            let temporary = operation.path.hasSuffix(".snap.tmp")
            switch step {
            case .tmpWrite: return operation.kind == .write && temporary
            case .fsync: return operation.kind == .sync && temporary
            case .rename: return operation.kind == .rename && temporary
            case .dirsync:
                if operation.kind == .rename && temporary { renamed.store(true, ordering: .relaxed) }
                return operation.kind == .syncDirectory && renamed.load(ordering: .relaxed)
            case .trim: return operation.kind == .remove && operation.fileName.hasPrefix("segment-")
            }
        }
    }
}
