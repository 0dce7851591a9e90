// The on-disk record frame. Byte layout (all integers little-endian):
//
//   offset size field
//   0      4    magic 0x52_4A_42_53 ("SBJR" in file order)
//   4      4    payload length in bytes
//   8      8    sequence number (1, 2, 3, ... with no gaps)
//   16     8    synced-through: the highest sequence already durable when this record was written
//   24     8    append time, nanoseconds since the Unix epoch
//   32     4    reserved, zero
//   36     4    CRC-32C over bytes 0..<36 followed by the payload
//   40     n    payload
//
// Batches start on a 512-byte sector boundary: each batch's write is padded with zero bytes to
// the next boundary. A power cut can tear or trash any sector an unsynced write touched; the
// padding guarantees an unsynced batch never shares a sector with records already acknowledged.
// Recovery skips zero bytes from an unaligned position to the next boundary as padding.
//
// "synced-through" is what lets recovery tell a torn tail from real corruption: a valid record
// whose synced-through is at or beyond a damaged record's sequence proves the damaged record had
// been made durable, so the damage is not an interrupted write (see SegmentScanner.swift).

import Glibc

/// Sector geometry of segments.
package enum SectorLayout {
    /// Batches begin at multiples of this many bytes.
    package static let size = 512

    /// `offset` rounded up to the next sector boundary.
    @inline(__always)
    package static func alignUp(_ offset: Int) -> Int { (offset + size - 1) & ~(size - 1) }

    /// True if every byte is zero (padding check; memcmp keeps it fast in debug builds too).
    package static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var rest = bytes
        while !rest.isEmpty {
            let n = min(rest.count, zeroSector.count)
            let equal = zeroSector.withUnsafeBytes { memcmp(rest.baseAddress!, $0.baseAddress!, n) == 0 }
            if !equal { return false }
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        return true
    }

    private static let zeroSector = [UInt8](repeating: 0, count: size)

    /// `offset` rounded up to the next sector boundary.
    @inline(__always)
    package static func alignUp(_ offset: Int64) -> Int64 { (offset + Int64(size) - 1) & ~Int64(size - 1) }
}

/// The fixed header in front of every record payload.
package struct RecordHeader: Sendable, Equatable {
    /// Header size in bytes.
    package static let size = 40
    /// "SBJR" read as a little-endian UInt32.
    package static let magic: UInt32 = 0x524A_4253

    package var payloadLength: UInt32
    package var sequence: UInt64
    package var syncedThrough: UInt64
    package var timestamp: Int64
    package var checksum: UInt32

    package init(payloadLength: UInt32, sequence: UInt64, syncedThrough: UInt64, timestamp: Int64, checksum: UInt32 = 0) {
        self.payloadLength = payloadLength
        self.sequence = sequence
        self.syncedThrough = syncedThrough
        self.timestamp = timestamp
        self.checksum = checksum
    }

    /// The frame size of a record with this header.
    package var frameSize: Int { RecordHeader.size + Int(payloadLength) }

    /// Writes the header (with `checksum` as stored) at `buffer[offset...]`.
    package func store(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeBytes(of: RecordHeader.magic.littleEndian, toByteOffset: offset, as: UInt32.self)
        buffer.storeBytes(of: payloadLength.littleEndian, toByteOffset: offset + 4, as: UInt32.self)
        buffer.storeBytes(of: sequence.littleEndian, toByteOffset: offset + 8, as: UInt64.self)
        buffer.storeBytes(of: syncedThrough.littleEndian, toByteOffset: offset + 16, as: UInt64.self)
        buffer.storeBytes(of: timestamp.littleEndian, toByteOffset: offset + 24, as: Int64.self)
        buffer.storeBytes(of: UInt32(0), toByteOffset: offset + 32, as: UInt32.self)
        buffer.storeBytes(of: checksum.littleEndian, toByteOffset: offset + 36, as: UInt32.self)
    }

    /// Reads a header at `bytes[offset...]`; nil if the magic or reserved field is wrong.
    /// The caller has checked that `RecordHeader.size` bytes are available.
    package static func load(from bytes: UnsafeRawBufferPointer, at offset: Int) -> RecordHeader? {
        guard UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) == magic,
            bytes.loadUnaligned(fromByteOffset: offset + 32, as: UInt32.self) == 0
        else { return nil }
        return RecordHeader(
            payloadLength: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)),
            sequence: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)),
            syncedThrough: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)),
            timestamp: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 24, as: Int64.self)),
            checksum: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 36, as: UInt32.self)))
    }

    /// The CRC-32C of a framed record at `bytes[offset...]` whose payload length is `length`.
    package static func computeChecksum(_ bytes: UnsafeRawBufferPointer, at offset: Int, payloadLength length: Int) -> UInt32 {
        var crc = CRC32C()
        crc.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 36]))
        crc.update(UnsafeRawBufferPointer(rebasing: bytes[offset + size..<offset + size + length]))
        return crc.value
    }
}

/// Why a frame failed validation.
package enum FrameProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case truncatedHeader(available: Int)
    case badMagic
    case lengthTooLarge(UInt32, limit: Int)
    case truncatedPayload(needed: Int, available: Int)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    case unexpectedSequence(found: UInt64, expected: UInt64)

    package var description: String {
        switch self {
        case .truncatedHeader(let n): "only \(n) bytes left, a header needs \(RecordHeader.size)"
        case .badMagic: "no record header (bad magic or reserved field)"
        case .lengthTooLarge(let n, let limit): "length \(n) exceeds the record limit \(limit)"
        case .truncatedPayload(let needed, let available):
            "record needs \(needed) bytes but only \(available) remain in the segment"
        case .checksumMismatch(let stored, let computed):
            "checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))"
        case .unexpectedSequence(let found, let expected): "sequence \(found) where \(expected) was expected"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

/// Validates the frame at `bytes[offset...]` (with `available` bytes from there to the end of
/// the data). Returns the header, or the problem. Sequence continuity is the caller's check.
package func validateFrame(
    _ bytes: UnsafeRawBufferPointer, at offset: Int, available: Int, maxPayload: Int
) -> Result<RecordHeader, FrameProblem> {
    guard available >= RecordHeader.size else { return .failure(.truncatedHeader(available: available)) }
    guard let header = RecordHeader.load(from: bytes, at: offset) else { return .failure(.badMagic) }
    guard Int(header.payloadLength) <= maxPayload else {
        return .failure(.lengthTooLarge(header.payloadLength, limit: maxPayload))
    }
    guard header.frameSize <= available else {
        return .failure(.truncatedPayload(needed: header.frameSize, available: available))
    }
    let computed = RecordHeader.computeChecksum(bytes, at: offset, payloadLength: Int(header.payloadLength))
    guard computed == header.checksum else {
        return .failure(.checksumMismatch(stored: header.checksum, computed: computed))
    }
    return .success(header)
}
