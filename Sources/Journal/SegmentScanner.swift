// Reads one segment front to back, validating every frame right after reading it, and classifies
// the first damaged frame as a torn tail or as corruption.
//
// Classification: when the frame at offset X (which should hold sequence S) is damaged, the rest
// of the segment is searched byte by byte for a valid frame R with R.sequence > S and
// R.syncedThrough >= S (or R.sequence == S and R.syncedThrough >= S - 1: the damage is in the
// synced zero padding before S's batch). Batches are written strictly one after another, each
// only after the previous batch's fdatasync returned, so such an R proves the damaged bytes had
// been durable: the damage is corruption. Without such an R, everything from X on belongs to the last, unacknowledged batch
// (or is garbage behind it): a torn tail. One limit follows: damage inside the final batch itself
// cannot be told from a torn write and is treated as a torn tail (docs/journal.md).
import SystemPackage

/// One valid record found by a scan.
public struct ScannedRecord: Sendable, Equatable {
    /// The record's sequence number.
    public var sequence: UInt64
    /// The highest sequence that was durable when this record was written.
    public var syncedThrough: UInt64
    /// Append time, nanoseconds since the Unix epoch.
    public var timestamp: Int64
    /// Byte offset of the frame inside its segment.
    public var offset: Int64
    /// Payload size in bytes.
    public var payloadLength: Int
    /// Frame size (header and payload).
    public var frameSize: Int { RecordHeader.size + payloadLength }
}

/// The first damaged frame of a segment.
public struct SegmentDamage: Sendable, Equatable {
    /// Segment file name.
    public var segment: String
    /// Offset of the damaged frame.
    public var offset: Int64
    /// Sequence the damaged frame should have held.
    public var expectedSequence: UInt64
    /// What was wrong.
    public var reason: String
    /// A later valid record proving the damaged one had been durable; nil for a torn tail.
    public var evidence: ScannedRecord?
    /// Bytes from the damage to the end of the segment.
    public var bytesAfter: Int64

    /// True when the damage is explained by an interrupted, unacknowledged write.
    public var isTornTail: Bool { evidence == nil }
}

/// What a scan of one segment found.
package struct SegmentScan: Sendable {
    package var segment: String
    package var firstSequence: UInt64
    package var records = 0
    package var lastSequence: UInt64?
    /// End of the last valid frame (appends continue at the next sector boundary).
    package var validEnd: Int64 = 0
    package var fileSize: Int64 = 0
    package var damage: SegmentDamage?
    /// The visitor asked to stop before the end.
    package var stopped = false
}

/// Scans `file` (segment `name`, whose first record must be `firstSequence`), calling `visit`
/// for each valid record with its payload bytes, in order, until the end, the first damage, or
/// `visit` returning false (then `stopped` is set).
package func scanSegment(
    _ file: any JournalFile,
    name: String,
    firstSequence: UInt64,
    maxPayload: Int,
    visit: (ScannedRecord, UnsafeRawBufferPointer) throws(JournalError) -> Bool
) throws(JournalError) -> SegmentScan {
    var scan = SegmentScan(segment: name, firstSequence: firstSequence)
    do {
        scan.fileSize = try file.size()
    } catch {
        throw JournalError.io("stat", path: name, error)
    }
    var reader = ChunkReader(file: file, fileSize: scan.fileSize, name: name)
    defer { reader.deallocate() }
    var expected = firstSequence
    scanning: while reader.position < scan.fileSize {
        if reader.position % Int64(SectorLayout.size) != 0 {
            // Zero padding after a batch runs to the next sector boundary (or the end of file).
            let padding = Int(min(SectorLayout.alignUp(reader.position), scan.fileSize) - reader.position)
            try reader.ensure(padding)
            if SectorLayout.isZero(UnsafeRawBufferPointer(rebasing: reader.window.prefix(padding))) {
                reader.advance(padding)
                continue
            }
        }
        let remaining = Int(clamping: scan.fileSize - reader.position)
        try reader.ensure(min(remaining, RecordHeader.size))
        var wanted = min(remaining, RecordHeader.size)
        if reader.window.count >= RecordHeader.size, let header = RecordHeader.load(from: reader.window, at: 0),
            Int(header.payloadLength) <= maxPayload
        {
            wanted = min(remaining, header.frameSize)
        }
        try reader.ensure(wanted)
        let window = reader.window
        let problem: FrameProblem
        switch validateFrame(window, at: 0, available: window.count, maxPayload: maxPayload) {
        case .success(let header) where header.sequence == expected:
            let record = ScannedRecord(
                sequence: header.sequence, syncedThrough: header.syncedThrough,
                timestamp: header.timestamp, offset: reader.position,
                payloadLength: Int(header.payloadLength))
            let more = try visit(record, UnsafeRawBufferPointer(rebasing: window[RecordHeader.size..<header.frameSize]))
            scan.records += 1
            scan.lastSequence = header.sequence
            reader.advance(header.frameSize)
            scan.validEnd = reader.position
            expected += 1
            if !more {
                scan.stopped = true
                break scanning
            }
            continue
        case .success(let header):
            problem = .unexpectedSequence(found: header.sequence, expected: expected)
        case .failure(let failure):
            problem = failure
        }
        scan.damage = try classifyDamage(
            file, name: name, offset: reader.position, fileSize: scan.fileSize,
            expectedSequence: expected, reason: problem.description, maxPayload: maxPayload)
        break scanning
    }
    return scan
}

/// Searches the bytes after a damaged frame for proof that the frame had been durable.
private func classifyDamage(
    _ file: any JournalFile, name: String, offset: Int64, fileSize: Int64,
    expectedSequence: UInt64, reason: String, maxPayload: Int
) throws(JournalError) -> SegmentDamage {
    let rest: [UInt8]
    do {
        rest = try file.readBytes(count: Int(fileSize - offset), at: offset)
    } catch {
        throw JournalError.io("read", path: name, error)
    }
    var evidence: ScannedRecord?
    rest.withUnsafeBytes { bytes in
        let firstMagicByte = UInt8(truncatingIfNeeded: RecordHeader.magic)
        var p = 1
        while p + RecordHeader.size <= bytes.count {
            if bytes[p] == firstMagicByte,
                case .success(let header) = validateFrame(bytes, at: p, available: bytes.count - p, maxPayload: maxPayload),
                provesDurable(header, expectedSequence: expectedSequence)
            {
                evidence = ScannedRecord(
                    sequence: header.sequence, syncedThrough: header.syncedThrough,
                    timestamp: header.timestamp, offset: offset + Int64(p),
                    payloadLength: Int(header.payloadLength))
                return
            }
            p += 1
        }
    }
    return SegmentDamage(
        segment: name, offset: offset, expectedSequence: expectedSequence, reason: reason,
        evidence: evidence, bytesAfter: fileSize - offset)
}

/// True if a valid frame found after damage proves the damaged bytes had been synced:
/// - a later record whose synced-through reaches the damaged sequence was written after the
///   damaged record's batch had been synced;
/// - the damaged sequence itself found further on, written after its predecessor's batch was
///   synced, means the damage lies in that synced batch's zero padding.
private func provesDurable(_ header: RecordHeader, expectedSequence: UInt64) -> Bool {
    if header.sequence > expectedSequence { return header.syncedThrough >= expectedSequence }
    return header.sequence == expectedSequence && header.syncedThrough + 1 >= expectedSequence
}

/// A sliding read window over a file: `window` starts at file offset `position`.
private struct ChunkReader {
    let file: any JournalFile
    let fileSize: Int64
    let name: String
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0  // index in buffer of `position`
    private var count = 0  // valid bytes in buffer from index 0
    private(set) var position: Int64 = 0

    init(file: any JournalFile, fileSize: Int64, name: String) {
        self.file = file
        self.fileSize = fileSize
        self.name = name
        let capacity = Int(clamping: min(fileSize, 4 << 20))
        buffer = .allocate(byteCount: max(capacity, RecordHeader.size), alignment: 16)
    }

    func deallocate() { buffer.deallocate() }

    var window: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[start..<count]) }

    mutating func advance(_ bytes: Int) {
        start += bytes
        position += Int64(bytes)
    }

    /// Makes at least `bytes` bytes available in `window` (the caller never asks past the end).
    mutating func ensure(_ bytes: Int) throws(JournalError) {
        if count - start >= bytes { return }
        let kept = count - start
        if bytes > buffer.count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, buffer.count * 2), alignment: 16)
            bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[start..<count]))
            buffer.deallocate()
            buffer = bigger
        } else if kept > 0 {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: kept)
        }
        start = 0
        count = kept
        let fileOffset = position + Int64(kept)
        let toRead = Int(clamping: min(Int64(buffer.count - kept), fileSize - fileOffset))
        do {
            let n = try file.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[kept..<kept + toRead]), at: fileOffset)
            count += n
        } catch {
            throw JournalError.io("read", path: name, error)
        }
        if count < bytes {
            throw JournalError(
                code: .io, message: "segment \(name) shrank while being read (wanted \(bytes) bytes at offset \(position))",
                location: .init(file: name, offset: position))
        }
    }
}
