// The one seam for file I/O (issue 4, item 6). The journal touches the file system only through
// these two protocols, so tests can substitute storage that fails the Nth write or sync, or that
// simulates a power cut (TESTPLAN T5, T8, T9).
package import SystemPackage

/// How to open a file.
package enum StorageOpenMode: Sendable, Equatable {
    /// Existing file, read only.
    case readOnly
    /// Existing file, read and write.
    case readWrite
    /// Create the file if missing (mode 0600, narrowed further by the umask); keep its contents.
    case create
    /// Create the file if missing (mode 0600) and empty it.
    case createTruncating
}

/// What `status(of:)` reports about a file.
package struct StorageFileStatus: Sendable, Equatable {
    /// Size in bytes.
    package var size: Int64
    /// Permission bits (e.g. `0o600`).
    package var permissions: UInt32
    /// Last modification, nanoseconds since the Unix epoch.
    package var modificationTime: Int64
    /// True for directories.
    package var isDirectory: Bool

    package init(size: Int64, permissions: UInt32, modificationTime: Int64, isDirectory: Bool) {
        self.size = size
        self.permissions = permissions
        self.modificationTime = modificationTime
        self.isDirectory = isDirectory
    }
}

/// File-system operations on paths. Implementations: ``SystemStorage`` (real files); the test
/// support module's fault-injecting and crash-simulating storages.
package protocol JournalStorage: Sendable {
    /// Creates `path` with mode 0700 (narrowed by the umask) if it does not exist.
    func createDirectory(_ path: String) throws(Errno)
    /// The names (not paths) in a directory, excluding `.` and `..`.
    func contentsOfDirectory(_ path: String) throws(Errno) -> [String]
    /// Opens a file.
    func open(_ path: String, mode: StorageOpenMode) throws(Errno) -> any JournalFile
    /// Takes an exclusive, non-blocking lock on `path` (created if missing). Throws
    /// `Errno.wouldBlock` if another holder has it. The lock lasts until the file is closed.
    func lockExclusively(_ path: String) throws(Errno) -> any JournalFile
    /// Renames atomically, replacing `destination`.
    func rename(_ source: String, to destination: String) throws(Errno)
    /// Removes a file.
    func remove(_ path: String) throws(Errno)
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(Errno)
    /// Size, mode and modification time of a file or directory.
    func status(of path: String) throws(Errno) -> StorageFileStatus
    /// The current time in nanoseconds since the Unix epoch (record timestamps, retention).
    func now() -> Int64
}

/// An open file. Used by one thread at a time.
package protocol JournalFile: AnyObject {
    /// The current size in bytes.
    func size() throws(Errno) -> Int64
    /// Reads up to `buffer.count` bytes at `offset`; returns the count read (0 at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int
    /// Writes all of `bytes` at `offset`. On error, a prefix of the bytes may have been written.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno)
    /// Makes the file's data durable (`fdatasync`).
    func sync() throws(Errno)
    /// Sets the size of the file.
    func truncate(to size: Int64) throws(Errno)
    /// Closes the file. Never syncs.
    func close()
}

extension JournalFile {
    /// Reads exactly `buffer.count` bytes at `offset` unless the file ends first; returns the
    /// count read.
    package func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        var done = 0
        while done < buffer.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
            let n = try read(into: rest, at: offset + Int64(done))
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads `count` bytes at `offset` into a new array (shorter if the file ends first).
    package func readBytes(count: Int, at offset: Int64) throws(Errno) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        let outcome = result.withUnsafeMutableBytes { buffer in
            Result { () throws(Errno) -> Int in try readFully(into: buffer, at: offset) }
        }
        result.removeLast(count - (try outcome.get()))
        return result
    }

    /// Writes all of `bytes` at `offset`.
    package func writeAll(_ bytes: [UInt8], at offset: Int64) throws(Errno) {
        let outcome = bytes.withUnsafeBytes { buffer in
            Result { () throws(Errno) in try write(buffer, at: offset) }
        }
        try outcome.get()
    }
}
