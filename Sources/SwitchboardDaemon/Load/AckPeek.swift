import NIOCore

/// A look at an ER7 ACK's MSA segment without parsing the message: enough for the load
/// generator to check MSA-1 and MSA-2 at full speed. (`switchboard send` parses ACKs properly
/// with ``AckSummary``.)
enum AckPeek {
    /// What the MSA says about the message expected.
    enum Verdict: Equatable {
        /// MSA-1 is AA (or CA) and MSA-2 is the expected control id.
        case accepted
        /// MSA-2 is the expected id but MSA-1 is something else (AE, AR, CE, CR, ...).
        case notAccepted
        /// MSA-2 is not the expected id, or there is no readable MSA.
        case mismatch
    }

    /// Reads MSA-1 and MSA-2 from `payload`; the expected MSA-2 is `idPrefix` + `sequence`.
    static func verdict(_ payload: ByteBuffer, idPrefix: [UInt8], sequence: Int) -> Verdict {
        payload.withUnsafeReadableBytes { bytes -> Verdict in
            let n = bytes.count
            guard n > 8, bytes[0] == UInt8(ascii: "M"), bytes[1] == UInt8(ascii: "S"), bytes[2] == UInt8(ascii: "H") else { return .mismatch }
            let fs = bytes[3]
            // Find a segment start "MSA<fs>".
            var i = 4
            var msa = -1
            while i + 4 < n {
                if (bytes[i] == 13 || bytes[i] == 10), bytes[i + 1] == UInt8(ascii: "M"), bytes[i + 2] == UInt8(ascii: "S"),
                   bytes[i + 3] == UInt8(ascii: "A"), bytes[i + 4] == fs {
                    msa = i + 5
                    break
                }
                i += 1
            }
            guard msa >= 0 else { return .mismatch }
            func fieldEnd(_ start: Int) -> Int {
                var k = start
                while k < n, bytes[k] != fs, bytes[k] != 13, bytes[k] != 10 { k += 1 }
                return k
            }
            let codeEnd = fieldEnd(msa)
            guard codeEnd < n, bytes[codeEnd] == fs else { return .mismatch }
            let idStart = codeEnd + 1
            let idEnd = fieldEnd(idStart)
            // MSA-2 == idPrefix + decimal(sequence)
            guard idEnd - idStart > idPrefix.count else { return .mismatch }
            for (k, byte) in idPrefix.enumerated() where bytes[idStart + k] != byte { return .mismatch }
            var value = 0
            for k in (idStart + idPrefix.count)..<idEnd {
                let digit = Int(bytes[k]) - 48
                guard digit >= 0, digit <= 9, value < Int.max / 100 else { return .mismatch }
                value = value * 10 + digit
            }
            guard value == sequence, bytes[idStart + idPrefix.count] != UInt8(ascii: "0") else { return .mismatch }
            let accepted = codeEnd - msa == 2 && bytes[msa + 1] == UInt8(ascii: "A")
                && (bytes[msa] == UInt8(ascii: "A") || bytes[msa] == UInt8(ascii: "C"))
            return accepted ? .accepted : .notAccepted
        }
    }
}
