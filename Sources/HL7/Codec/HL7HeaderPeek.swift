/// Reads MSH-3…MSH-18 from the first line of a message, however broken the rest is.
///
/// The daemon must answer every frame; to address an error ACK it needs the sender, the
/// control id and the version even when the message does not parse. The peek looks at the
/// first MSH line only, reads the delimiters leniently (positional, with the standard ones
/// where MSH-2 is short or odd) and never throws.
public enum HL7HeaderPeek {
    /// The header of the first MSH line, or `nil` when the input holds no MSH line with a
    /// usable field separator within its first `searchLimit` bytes.
    public static func peek(_ bytes: UnsafeBufferPointer<UInt8>, searchLimit: Int = 64 * 1024,
                            fallback: HL7CharacterSet.Fallback = .utf8ThenLatin1) -> HL7Header? {
        let limit = min(bytes.count, searchLimit)
        var i = 0
        if limit >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        // Find a line that starts with MSH (skipping blank lines and FHS/BHS batch headers).
        var lineStart = -1
        var atLineStart = true
        while i + 4 <= limit {
            let b = bytes[i]
            if atLineStart, b == 0x4D, bytes[i + 1] == 0x53, bytes[i + 2] == 0x48,
               HL7Delimiters.isUsableDelimiter(bytes[i + 3]) {
                lineStart = i
                break
            }
            atLineStart = b == 13 || b == 10
            i += 1
        }
        guard lineStart >= 0 else { return nil }
        var lineEnd = lineStart
        while lineEnd < bytes.count, bytes[lineEnd] != 13, bytes[lineEnd] != 10 { lineEnd += 1 }
        let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd])
        let fs = line[3]
        // Positional encoding characters; anything unusable or already taken falls back to the
        // standard character for that position, or to another free punctuation character, so the
        // five delimiters are always distinct.
        var chars: [UInt8] = []
        var k = 4
        while k < line.count, line[k] != fs, line[k] != 13, line[k] != 10, chars.count < 5 {
            chars.append(line[k])
            k += 1
        }
        var taken: [UInt8] = [fs]
        func pick(_ n: Int, _ preferred: UInt8) -> UInt8 {
            var candidates: [UInt8] = []
            if n < chars.count { candidates.append(chars[n]) }
            candidates.append(preferred)
            candidates += Array("^~\\&#!$%*+".utf8)
            let chosen = candidates.first { HL7Delimiters.isUsableDelimiter($0) && !taken.contains($0) }!
            taken.append(chosen)
            return chosen
        }
        let component = pick(0, UInt8(ascii: "^"))
        let repetition = pick(1, UInt8(ascii: "~"))
        let escape = pick(2, UInt8(ascii: "\\"))
        let subcomponent = pick(3, UInt8(ascii: "&"))
        let truncation = chars.count == 5 ? pick(4, UInt8(ascii: "#")) : nil
        let d = HL7Delimiters(field: fs, component: component, repetition: repetition, escape: escape,
                              subcomponent: subcomponent, truncation: truncation)
        return HL7Header(line: line, delimiters: d, fallback: fallback)
    }

    /// ``peek(_:searchLimit:fallback:)`` over an array.
    public static func peek(_ bytes: [UInt8], searchLimit: Int = 64 * 1024) -> HL7Header? {
        bytes.withUnsafeBufferPointer { peek($0, searchLimit: searchLimit) }
    }
}
