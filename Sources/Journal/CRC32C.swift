// CRC-32C (Castagnoli): the checksum over every record and snapshot (DESIGN §4).

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI (RFC 3720 §12.1),
/// ext4 metadata and SCTP. Software slicing-by-16: sixteen 256-entry tables let the loop consume
/// sixteen bytes per step instead of one (slicing-by-8 for the rest, then bytewise).
///
/// A CRC-32C detects every single-bit error and every burst up to 32 bits, which is what lets
/// recovery promise that a flipped bit is never accepted silently (TESTPLAN T4).
public struct CRC32C: Sendable, Equatable {
    /// The running register (pre-inverted, as the algorithm keeps it).
    private var register: UInt32 = 0xFFFF_FFFF

    /// A fresh checksum over no bytes.
    public init() {}

    /// The checksum of everything fed so far.
    public var value: UInt32 { register ^ 0xFFFF_FFFF }

    /// Feeds `bytes` into the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        register = CRC32C.advance(register, bytes)
    }

    /// Feeds the bytes of `collection` into the checksum.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        let copy = Array(bytes)
        copy.withUnsafeBytes { update($0) }
    }

    /// The CRC-32C of `bytes` in one call.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }

    /// The CRC-32C of a byte collection in one call.
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }

    private static func advance(_ start: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return start }
        return crc32cTables.withUnsafeBufferPointer { table -> UInt32 in
            let t = table.baseAddress!
            var crc = start
            var p = base
            var remaining = bytes.count
            @inline(__always) func lookup(_ table: Int, _ word: UInt64, _ shift: UInt64) -> UInt32 {
                t[table &* 256 &+ Int(truncatingIfNeeded: (word &>> shift) & 0xFF)]
            }
            while remaining >= 16 {
                let low = p.loadUnaligned(as: UInt64.self).littleEndian ^ UInt64(crc)
                let high = (p + 8).loadUnaligned(as: UInt64.self).littleEndian
                crc = lookup(15, low, 0) ^ lookup(14, low, 8) ^ lookup(13, low, 16) ^ lookup(12, low, 24)
                    ^ lookup(11, low, 32) ^ lookup(10, low, 40) ^ lookup(9, low, 48) ^ lookup(8, low, 56)
                    ^ lookup(7, high, 0) ^ lookup(6, high, 8) ^ lookup(5, high, 16) ^ lookup(4, high, 24)
                    ^ lookup(3, high, 32) ^ lookup(2, high, 40) ^ lookup(1, high, 48) ^ lookup(0, high, 56)
                p += 16
                remaining &-= 16
            }
            if remaining >= 8 {
                let word = p.loadUnaligned(as: UInt64.self).littleEndian ^ UInt64(crc)
                crc = lookup(7, word, 0) ^ lookup(6, word, 8) ^ lookup(5, word, 16) ^ lookup(4, word, 24)
                    ^ lookup(3, word, 32) ^ lookup(2, word, 40) ^ lookup(1, word, 48) ^ lookup(0, word, 56)
                p += 8
                remaining &-= 8
            }
            while remaining > 0 {
                let byte = p.load(as: UInt8.self)
                crc = t[Int(truncatingIfNeeded: (crc ^ UInt32(byte)) & 0xFF)] ^ (crc &>> 8)
                p += 1
                remaining &-= 1
            }
            return crc
        }
    }
}

/// Sixteen tables of 256 entries, flattened: table k maps a byte to its CRC contribution when it
/// sits k bytes before the end of the block being consumed.
private let crc32cTables: [UInt32] = {
    let polynomial: UInt32 = 0x82F6_3B78
    var tables = [UInt32](repeating: 0, count: 16 * 256)
    for byte in 0..<256 {
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
        tables[byte] = crc
    }
    for k in 1..<16 {
        for byte in 0..<256 {
            let previous = tables[(k - 1) * 256 + byte]
            tables[k * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
        }
    }
    return tables
}()
