// Real files: `JournalStorage` over POSIX system calls (pread/pwrite/fdatasync/flock).
import Glibc
package import SystemPackage

/// The production ``JournalStorage``: plain POSIX calls, retried on EINTR, with files created
/// 0600 and directories 0700 (the umask can only narrow these).
package struct SystemStorage: JournalStorage {
    package init() {}

    package func createDirectory(_ path: String) throws(Errno) {
        if mkdir(path, 0o700) != 0 {
            let error = Errno(rawValue: errno)
            if error != .fileExists { throw error }
        }
    }

    package func contentsOfDirectory(_ path: String) throws(Errno) -> [String] {
        guard let dir = opendir(path) else { throw Errno(rawValue: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                let bytes = raw.prefix(while: { $0 != 0 })
                return String(decoding: bytes, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    package func open(_ path: String, mode: StorageOpenMode) throws(Errno) -> any JournalFile {
        let flags: Int32
        switch mode {
        case .readOnly: flags = O_RDONLY
        case .readWrite: flags = O_RDWR
        case .create: flags = O_RDWR | O_CREAT
        case .createTruncating: flags = O_RDWR | O_CREAT | O_TRUNC
        }
        let fd = try retryingEINTR { Glibc.open(path, flags | O_CLOEXEC, 0o600) }
        return SystemFile(fd: fd)
    }

    package func lockExclusively(_ path: String) throws(Errno) -> any JournalFile {
        let fd = try retryingEINTR { Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        do {
            _ = try retryingEINTR { flock(fd, LOCK_EX | LOCK_NB) }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return SystemFile(fd: fd)
    }

    package func rename(_ source: String, to destination: String) throws(Errno) {
        _ = try retryingEINTR { Glibc.rename(source, destination) }
    }

    package func remove(_ path: String) throws(Errno) {
        _ = try retryingEINTR { unlink(path) }
    }

    package func syncDirectory(_ path: String) throws(Errno) {
        let fd = try retryingEINTR { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { Glibc.close(fd) }
        _ = try retryingEINTR { fsync(fd) }
    }

    package func status(of path: String) throws(Errno) -> StorageFileStatus {
        var info = stat()
        _ = try retryingEINTR { stat(path, &info) }
        return StorageFileStatus(
            size: Int64(info.st_size),
            permissions: UInt32(info.st_mode) & 0o7777,
            modificationTime: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            isDirectory: (info.st_mode & S_IFMT) == S_IFDIR)
    }

    package func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

/// An open file descriptor.
final class SystemFile: JournalFile {
    private var fd: Int32

    init(fd: Int32) { self.fd = fd }
    deinit { close() }

    func size() throws(Errno) -> Int64 {
        var info = stat()
        _ = try retryingEINTR { fstat(fd, &info) }
        return Int64(info.st_size)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try retryingEINTR { pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) {
        var done = 0
        while done < bytes.count {
            let n = try retryingEINTR {
                pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            done += n
        }
    }

    func sync() throws(Errno) {
        // No EINTR retry loop here on purpose: fdatasync is not interrupted by signals on Linux,
        // and any failure must reach the fail-stop logic untouched.
        if fdatasync(fd) != 0 { throw Errno(rawValue: errno) }
    }

    func truncate(to size: Int64) throws(Errno) {
        _ = try retryingEINTR { ftruncate(fd, off_t(size)) }
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }
}

/// Runs a system call until it does not fail with EINTR; throws errno for any other failure.
@inline(__always)
private func retryingEINTR<T: BinaryInteger>(_ call: () -> T) throws(Errno) -> T {
    while true {
        let result = call()
        if result >= 0 { return result }
        let error = Errno(rawValue: errno)
        if error != .interrupted { throw error }
    }
}
