// Versioned binary codecs for journal payloads. The journal frames and checksums records; this
// file decides what is inside one. Layout of an inbound record, version 1 (little endian):
//
//   u8 kind = 0x49 ('I')   u8 version = 1
//   i64 received_at_us     u8 disposition   u8 encoding   u8 flags (bit 0: duplicate-key conflict)
//   u64 content_hash       u32 raw_length
//   str listener, peer, sending_application, sending_facility, control_id, message_type, ack_code
//   u32 error_count, then per error: u16 code, str location, str text
//   bytes ack, bytes raw
//
// where str and bytes are a u32 length followed by that many bytes (strings in UTF-8).
// Version 2 appends the caseload decision the message produced (u8 present, then events,
// str patient_id, i64 at, u32 count + str changes; CaseloadEventCodec), written in the same
// append as the raw message; version 1 records have none. Version 3 appends the outbox entries
// the decision made (u32 count, then per entry: str id, destination, control_id, subject,
// i64 created_at_ms, bytes payload; OutboxRecordCodec).
// Readers reject unknown kinds and newer versions with a clear error instead of guessing.

/// What kind of record a journal payload holds (its first byte).
public enum RecordKind: UInt8, Sendable {
    /// An ``InboundRecord``.
    case inbound = 0x49
    /// An ``ActionRecord`` (a coordinator's action on the caseload).
    case action = 0x41
    /// An ``OutboxRecord`` (delivery progress or an operator's action on the outbox).
    case outbox = 0x4F
}

/// A journal payload that could not be decoded.
public struct RecordDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset inside the payload where decoding failed.
    public var offset: Int
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "record payload offset \(offset): \(message)" }
}

/// Encodes and decodes ``InboundRecord`` journal payloads.
public enum InboundRecordCodec {
    /// The version this build writes.
    public static let currentVersion: UInt8 = 3

    /// The record as a journal payload.
    public static func encode(_ record: InboundRecord) -> [UInt8] {
        var writer = PayloadWriter(capacity: 96 + record.raw.count + record.ack.count + record.listener.utf8.count
            + record.peer.utf8.count + record.sendingApplication.utf8.count + record.sendingFacility.utf8.count
            + record.controlID.utf8.count + record.messageType.utf8.count + record.ackCode.utf8.count
            + record.errors.reduce(0) { $0 + 10 + $1.location.utf8.count + $1.text.utf8.count })
        writer.u8(RecordKind.inbound.rawValue)
        writer.u8(currentVersion)
        writer.i64(record.receivedAtMicroseconds)
        writer.u8(record.disposition.rawValue)
        writer.u8(record.encoding.rawValue)
        writer.u8(record.duplicateKeyConflict ? 1 : 0)
        writer.u64(record.contentHash)
        writer.u32(UInt32(clamping: record.rawLength))
        for text in [record.listener, record.peer, record.sendingApplication, record.sendingFacility,
                     record.controlID, record.messageType, record.ackCode] {
            writer.string(text)
        }
        writer.u32(UInt32(record.errors.count))
        for error in record.errors {
            writer.u16(error.code)
            writer.string(error.location)
            writer.string(error.text)
        }
        writer.bytes(record.ack)
        writer.bytes(record.raw)
        CaseloadEventCodec.encode(record.caseload, into: &writer)
        OutboxRecordCodec.encode(record.outbound, into: &writer)
        return writer.output
    }

    /// The kind of a payload, or `nil` when its first byte names no known kind.
    public static func kind(of payload: [UInt8]) -> RecordKind? {
        payload.first.flatMap(RecordKind.init(rawValue:))
    }

    /// Decodes an inbound record; throws when the payload is not one or is damaged.
    public static func decode(_ payload: [UInt8]) throws(RecordDecodingError) -> InboundRecord {
        var reader = PayloadReader(payload)
        let kind = try reader.u8()
        guard kind == RecordKind.inbound.rawValue else {
            throw RecordDecodingError(offset: 0, message: "not an inbound record (kind byte 0x\(String(kind, radix: 16)))")
        }
        let version = try reader.u8()
        guard version >= 1, version <= currentVersion else {
            throw RecordDecodingError(
                offset: 1, message: "inbound record version \(version) is newer than this build reads (\(currentVersion))")
        }
        let receivedAt = try reader.i64()
        let dispositionOffset = reader.offset
        guard let disposition = InboundRecord.Disposition(rawValue: try reader.u8()) else {
            throw RecordDecodingError(offset: dispositionOffset, message: "unknown disposition")
        }
        let encoding = InboundRecord.Encoding(rawValue: try reader.u8()) ?? .unknown
        let flags = try reader.u8()
        let hash = try reader.u64()
        let rawLength = Int(try reader.u32())
        let listener = try reader.string()
        let peer = try reader.string()
        let application = try reader.string()
        let facility = try reader.string()
        let controlID = try reader.string()
        let messageType = try reader.string()
        let ackCode = try reader.string()
        let errorCount = Int(try reader.u32())
        guard errorCount <= reader.remaining else {
            throw RecordDecodingError(offset: reader.offset, message: "error count \(errorCount) exceeds the payload")
        }
        var errors: [InboundRecord.ErrorEntry] = []
        errors.reserveCapacity(errorCount)
        for _ in 0..<errorCount {
            let code = try reader.u16()
            errors.append(.init(code: code, location: try reader.string(), text: try reader.string()))
        }
        let ack = try reader.bytes()
        let raw = try reader.bytes()
        let caseload = version >= 2 ? try CaseloadEventCodec.decodeDecision(from: &reader) : nil
        let outbound = version >= 3 ? try OutboxRecordCodec.decodeEntries(from: &reader) : []
        return InboundRecord(
            receivedAtMicroseconds: receivedAt, listener: listener, peer: peer, disposition: disposition,
            encoding: encoding, sendingApplication: application, sendingFacility: facility, controlID: controlID,
            messageType: messageType, ackCode: ackCode, duplicateKeyConflict: flags & 1 != 0, contentHash: hash,
            errors: errors, ack: ack, rawLength: rawLength, raw: raw, caseload: caseload, outbound: outbound)
    }
}

/// Appends little-endian fields to a byte array.
struct PayloadWriter {
    private(set) var output: [UInt8] = []

    init(capacity: Int) { output.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { output.append(value) }
    mutating func u16(_ value: UInt16) { integer(value) }
    mutating func u32(_ value: UInt32) { integer(value) }
    mutating func u64(_ value: UInt64) { integer(value) }
    mutating func i64(_ value: Int64) { integer(UInt64(bitPattern: value)) }

    /// Bytes as they are, no length prefix.
    mutating func raw(_ value: [UInt8]) { output += value }

    mutating func bytes(_ value: [UInt8]) {
        u32(UInt32(value.count))
        output += value
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            output.append(contentsOf: utf8)
        }
    }

    private mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
    }

    /// Overwrites 8 bytes at `offset` (a length known only after what it measures was written).
    mutating func patchU64(_ value: UInt64, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { bytes in
            for (index, byte) in bytes.enumerated() { output[offset + index] = byte }
        }
    }
}

/// Reads little-endian fields with bounds checks; every failure names its offset.
struct PayloadReader {
    private let input: [UInt8]
    private(set) var offset = 0
    private let end: Int

    init(_ input: [UInt8]) {
        self.input = input
        end = input.count
    }

    /// Reads only `range` of `input` (one section of a larger blob).
    init(_ input: [UInt8], range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= input.count)
        self.input = input
        offset = range.lowerBound
        end = range.upperBound
    }

    var remaining: Int { end - offset }

    /// Moves past `count` bytes (the caller checked they are there).
    mutating func skip(_ count: Int) {
        precondition(count <= remaining)
        offset += count
    }

    mutating func u8() throws(RecordDecodingError) -> UInt8 { try integer(UInt8.self) }
    mutating func u16() throws(RecordDecodingError) -> UInt16 { try integer(UInt16.self) }
    mutating func u32() throws(RecordDecodingError) -> UInt32 { try integer(UInt32.self) }
    mutating func u64() throws(RecordDecodingError) -> UInt64 { try integer(UInt64.self) }
    mutating func i64() throws(RecordDecodingError) -> Int64 { Int64(bitPattern: try integer(UInt64.self)) }

    mutating func bytes() throws(RecordDecodingError) -> [UInt8] {
        let count = Int(try u32())
        guard count <= remaining else {
            throw RecordDecodingError(offset: offset - 4, message: "length \(count) runs past the end of the payload")
        }
        defer { offset += count }
        return Array(input[offset..<offset + count])
    }

    mutating func string() throws(RecordDecodingError) -> String {
        let start = offset
        let count = Int(try u32())
        guard count <= remaining else {
            throw RecordDecodingError(offset: start, message: "length \(count) runs past the end of the payload")
        }
        // Straight from the input buffer: no intermediate array per field (snapshots hold
        // millions of them).
        let text = input.withUnsafeBufferPointer { buffer -> String? in
            let bytes = UnsafeBufferPointer(rebasing: buffer[offset..<offset + count])
            // ASCII (nearly every field) needs no validation beyond the check; the generic
            // validating initializer costs a metadata lookup per call.
            if Self.isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
            return String(validating: bytes, as: UTF8.self)
        }
        guard let text else { throw RecordDecodingError(offset: start, message: "a text field is not valid UTF-8") }
        offset += count
        return text
    }

    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = bytes.count
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        while index + 8 <= count {
            if raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            index += 8
        }
        while index < count {
            if base[index] >= 0x80 { return false }
            index += 1
        }
        return true
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(RecordDecodingError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else {
            throw RecordDecodingError(offset: offset, message: "the payload ends inside a \(size)-byte field")
        }
        let value = input.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        offset += size
        return value
    }
}

extension PayloadReader {
    /// Reads a record's kind and version bytes: the expected kind, and the one version this
    /// build reads (typed errors at offsets 0 and 1 otherwise).
    mutating func header(_ kind: RecordKind, named name: String, version current: UInt8) throws(RecordDecodingError) {
        let found = try u8()
        guard found == kind.rawValue else {
            throw RecordDecodingError(offset: 0, message: "not an \(name) record (kind byte 0x\(String(found, radix: 16)))")
        }
        let version = try u8()
        guard version == current else {
            throw RecordDecodingError(offset: 1, message: "\(name) record version \(version); this build reads \(current)")
        }
    }
}
