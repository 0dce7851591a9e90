// Snapshot files: an opaque blob tagged with the sequence it covers. Byte layout (little-endian):
//
//   offset size field
//   0      8    magic "SBJSNAP1"
//   8      8    covered sequence: the blob reflects records 1...sequence
//   16     8    blob length in bytes
//   24     8    creation time, nanoseconds since the Unix epoch
//   32     4    reserved, zero
//   36     4    CRC-32C over bytes 0..<36 followed by the blob
//   40     n    blob
//
// Written as snapshot-<seq>.snap.tmp, fsynced, renamed to snapshot-<seq>.snap, then the directory
// is fsynced; the newest snapshot whose checksum holds wins at load.
package import SystemPackage

/// A snapshot loaded from disk.
public struct JournalSnapshot: Sendable, Equatable {
    /// The blob reflects every record up to and including this sequence.
    public var sequence: UInt64
    /// When it was written, nanoseconds since the Unix epoch.
    public var createdAt: Int64
    /// The opaque contents, as stored.
    public var blob: [UInt8]

    public init(sequence: UInt64, createdAt: Int64, blob: [UInt8]) {
        self.sequence = sequence
        self.createdAt = createdAt
        self.blob = blob
    }
}

/// Why a snapshot file failed validation.
package struct SnapshotDecodeFailure: Error {
    package var reason: String
    init(_ reason: String) { self.reason = reason }
}

package enum SnapshotFormat {
    static let magic: UInt64 = 0x3150_414E_534A_4253  // "SBJSNAP1" little-endian
    static let headerSize = 40

    /// The full file image of a snapshot.
    package static func encode(_ snapshot: JournalSnapshot) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headerSize + snapshot.blob.count)
        bytes.withUnsafeMutableBytes { buffer in
            buffer.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt64.self)
            buffer.storeBytes(of: snapshot.sequence.littleEndian, toByteOffset: 8, as: UInt64.self)
            buffer.storeBytes(of: UInt64(snapshot.blob.count).littleEndian, toByteOffset: 16, as: UInt64.self)
            buffer.storeBytes(of: snapshot.createdAt.littleEndian, toByteOffset: 24, as: Int64.self)
            snapshot.blob.withUnsafeBytes { blob in
                if !blob.isEmpty { (buffer.baseAddress! + headerSize).copyMemory(from: blob.baseAddress!, byteCount: blob.count) }
            }
            let crc = checksum(UnsafeRawBufferPointer(buffer))
            buffer.storeBytes(of: crc.littleEndian, toByteOffset: 36, as: UInt32.self)
        }
        return bytes
    }

    /// Validates a full file image; the reason on failure.
    package static func decode(_ bytes: [UInt8], expectedSequence: UInt64) -> Result<JournalSnapshot, SnapshotDecodeFailure> {
        bytes.withUnsafeBytes { buffer -> Result<JournalSnapshot, SnapshotDecodeFailure> in
            guard buffer.count >= headerSize else { return .failure(SnapshotDecodeFailure("file has \(buffer.count) bytes, shorter than the header")) }
            guard UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) == magic else {
                return .failure(SnapshotDecodeFailure("bad magic"))
            }
            let sequence = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            let length = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            let created = Int64(littleEndian: buffer.loadUnaligned(fromByteOffset: 24, as: Int64.self))
            let stored = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 36, as: UInt32.self))
            guard length == UInt64(buffer.count - headerSize) else {
                return .failure(SnapshotDecodeFailure("blob length \(length) but the file holds \(buffer.count - headerSize) bytes"))
            }
            let computed = checksum(buffer)
            guard computed == stored else { return .failure(SnapshotDecodeFailure("checksum mismatch")) }
            guard sequence == expectedSequence else {
                return .failure(SnapshotDecodeFailure("covers sequence \(sequence) but is named for \(expectedSequence)"))
            }
            return .success(JournalSnapshot(sequence: sequence, createdAt: created, blob: Array(buffer[headerSize...])))
        }
    }

    private static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C()
        crc.update(UnsafeRawBufferPointer(rebasing: buffer[0..<36]))
        crc.update(UnsafeRawBufferPointer(rebasing: buffer[headerSize...]))
        return crc.value
    }
}

/// An unusable snapshot file met while looking for the newest valid one.
public struct SkippedSnapshot: Sendable, Equatable {
    public var file: String
    public var reason: String
}

/// Loads the newest snapshot whose checksum holds; reports the invalid newer ones skipped.
package func loadNewestSnapshot(
    storage: any JournalStorage, directory: String, candidates: [UInt64]
) throws(JournalError) -> (JournalSnapshot?, [SkippedSnapshot]) {
    var skipped: [SkippedSnapshot] = []
    for sequence in candidates {
        let name = JournalFileName.snapshot(sequence: sequence).name
        let path = joinPath(directory, name)
        let bytes: [UInt8]
        do {
            let file = try storage.open(path, mode: .readOnly)
            defer { file.close() }
            bytes = try file.readBytes(count: Int(try file.size()), at: 0)
        } catch {
            throw JournalError.io("read snapshot", path: path, error)
        }
        switch SnapshotFormat.decode(bytes, expectedSequence: sequence) {
        case .success(let snapshot): return (snapshot, skipped)
        case .failure(let failure): skipped.append(SkippedSnapshot(file: name, reason: failure.reason))
        }
    }
    return (nil, skipped)
}

/// Crash points of a snapshot write, in order (TESTPLAN T9 names).
package enum SnapshotStep: String, Sendable, CaseIterable {
    case tmpWrite = "snap_tmp_write", fsync = "snap_fsync", rename = "snap_rename",
        dirsync = "snap_dirsync", trim = "journal_trim"
}

/// A failed snapshot write: the step it failed at and the system error.
package struct SnapshotWriteFailure: Error, Sendable {
    package var step: SnapshotStep
    package var cause: Errno
    package var path: String

    /// True when a sync failed: the journal must fail-stop (DESIGN §4).
    package var isSyncFailure: Bool { step == .fsync || step == .dirsync }

    package var journalError: JournalError {
        let code: JournalError.Code = JournalError.isOutOfSpace(cause) ? .diskFull : .io
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return JournalError(
            code: code, message: "writing snapshot \(path) failed at step \(step.rawValue): \(cause)",
            location: .init(file: name), cause: cause)
    }
}

/// Writes a snapshot durably: temporary file, write, fdatasync, rename, directory fsync.
package func writeSnapshotFile(
    _ snapshot: JournalSnapshot, storage: any JournalStorage, directory: String
) throws(SnapshotWriteFailure) {
    try writeSnapshotTemporary(snapshot, storage: storage, directory: directory)
    try publishSnapshotTemporary(sequence: snapshot.sequence, storage: storage, directory: directory)
}

/// The slow half of a snapshot write (the bulk of the bytes and their fdatasync) into
/// `snapshot-<seq>.snap.tmp`. Needs no coordination with appends: recovery ignores and removes
/// temporary files.
package func writeSnapshotTemporary(
    _ snapshot: JournalSnapshot, storage: any JournalStorage, directory: String
) throws(SnapshotWriteFailure) {
    let temporary = joinPath(directory, JournalFileName.snapshotTemporary(sequence: snapshot.sequence).name)
    let final = joinPath(directory, JournalFileName.snapshot(sequence: snapshot.sequence).name)
    let image = SnapshotFormat.encode(snapshot)
    // Validate right before writing (TIGER_STYLE): what goes to disk must decode.
    guard case .success = SnapshotFormat.decode(image, expectedSequence: snapshot.sequence) else {
        preconditionFailure("snapshot image failed validation right after encoding")
    }
    var step = SnapshotStep.tmpWrite
    do {
        let file = try storage.open(temporary, mode: .createTruncating)
        defer { file.close() }
        try file.writeAll(image, at: 0)
        step = .fsync
        try file.sync()
    } catch {
        try? storage.remove(temporary)
        throw SnapshotWriteFailure(step: step, cause: error, path: final)
    }
}

/// The quick half: renames the synced temporary file into place and fsyncs the directory.
package func publishSnapshotTemporary(sequence: UInt64, storage: any JournalStorage, directory: String) throws(SnapshotWriteFailure) {
    let temporary = joinPath(directory, JournalFileName.snapshotTemporary(sequence: sequence).name)
    let final = joinPath(directory, JournalFileName.snapshot(sequence: sequence).name)
    var step = SnapshotStep.rename
    do {
        try storage.rename(temporary, to: final)
        step = .dirsync
        try storage.syncDirectory(directory)
    } catch {
        throw SnapshotWriteFailure(step: step, cause: error, path: final)
    }
}
