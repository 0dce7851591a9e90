// A fast 64-bit content hash for duplicate detection.

/// 64-bit hash of a message's raw bytes, used to tell a resend (same key, same bytes) from a
/// reused control id (same key, other bytes).
///
/// The threat is accidental reuse, not an adversary (a sender controls both messages anyway), so
/// a non-cryptographic hash suffices: this is FNV-1a over 8-byte words followed by a
/// murmur-style finaliser, about 1 byte/cycle, with a collision chance of about 2⁻⁶⁴ per pair of
/// messages sharing a key. The value is stored in journal records: never change the algorithm
/// without a new record version.
public enum ContentHash {
    /// Hashes `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01b3
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            h = (h ^ UInt64(littleEndian: word)) &* prime
            h ^= h >> 29
            index += 8
        }
        while index < count {
            h = (h ^ UInt64(bytes[index])) &* prime
            index += 1
        }
        h ^= UInt64(count)
        // Finaliser (MurmurHash3 fmix64): spreads every input bit over the result.
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }

    /// Hashes `bytes`.
    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { hash($0) }
    }
}
