/// Line breaks inside values, and their ER7 form.
///
/// ER7 cannot carry a CR or LF inside a value: either ends the segment. A message built with
/// ``HL7MessageBuilder`` (from HL7 v2.xml, whose text keeps line breaks exactly) records where its
/// segments end instead of looking for terminators, so its values may hold them. Such a message
/// keeps them as given (values, the canonical tree), and everything that renders it as ER7 wire
/// text writes them as the hex escapes `\X0D\` and `\X0A\`, which decode back to the same text.
enum ER7LineBreaks {
    /// The number of CR and LF bytes in `bytes` (eight bytes at a time).
    static func count(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let n = bytes.count
        let raw = UnsafeRawPointer(base)
        var total = 0
        var i = 0
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        while i + 8 <= n {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // A zero byte of `word ^ pattern` is a match. Masking the high bits before the add
            // keeps carries inside each byte, so only zero bytes set their flag (exact count).
            let cr = word ^ (ones &* 0x0D), lf = word ^ (ones &* 0x0A)
            let crHits = ~(((cr & ~highs) &+ ~highs) | cr) & highs
            let lfHits = ~(((lf & ~highs) &+ ~highs) | lf) & highs
            total += (crHits | lfHits).nonzeroBitCount
            i += 8
        }
        while i < n {
            if base[i] == 13 || base[i] == 10 { total += 1 }
            i += 1
        }
        return total
    }

    /// True when `bytes` hold a CR or LF.
    static func contains(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        count(in: bytes) > 0
    }

    /// Appends `bytes` with every CR written as `\X0D\` and every LF as `\X0A\`, in the escape
    /// character `escape`.
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, escape: UInt8, to out: inout [UInt8]) {
        var start = 0
        for i in 0..<bytes.count where bytes[i] == 13 || bytes[i] == 10 {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
            out.append(contentsOf: [escape, 0x58, 0x30, bytes[i] == 13 ? 0x44 : 0x41, escape])
            start = i + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
    }

    /// The ER7 wire text of indexed bytes whose values may hold line breaks: each segment with
    /// its line breaks escaped, and between segments what the bytes hold there (their
    /// terminators), or one CR after every segment when `normalizingTerminators`.
    static func wireBytes(_ bytes: UnsafeBufferPointer<UInt8>, segments: UnsafeBufferPointer<SegmentSpan>,
                          delimiterSets: [HL7Delimiters], normalizingTerminators: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8 + 16)
        var previousEnd = 0
        for span in segments {
            let start = Int(span.start), end = Int(span.end)
            if !normalizingTerminators {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[previousEnd..<start]))
            }
            appendEscaped(UnsafeBufferPointer(rebasing: bytes[start..<end]),
                          escape: delimiterSets[Int(span.delimiterSet)].escape, to: &out)
            if normalizingTerminators { out.append(13) }
            previousEnd = end
        }
        if !normalizingTerminators {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[previousEnd...]))
        }
        return out
    }
}
