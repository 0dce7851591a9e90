#if arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

/// Builds an ``ER7Index`` from bytes in one pass.
///
/// The pass looks for three bytes only: the field separator, CR and LF. On x86-64 it compares
/// 64 bytes at a time with SSE2 and walks the resulting bit masks, so long values with no
/// delimiters (base64 in OBX-5) cost almost nothing. A header segment (MSH/FHS/BHS) may declare
/// a different field separator; the scan then restarts at that segment with the new one.
enum ER7Scanner {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10

    /// Bytes that make a line blank: space, tab, VT, FF, and the file/group/record/unit
    /// separators 0x1C–0x1F (MLLP framing bytes left in archives show up as such lines).
    @inline(__always)
    static func isBlank(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0B || b == 0x0C || (b >= 0x1C && b <= 0x1F)
    }

    /// Indexes `bytes`. The first non-blank segment must be a header segment.
    static func index(_ bytes: [UInt8], options: HL7ParseOptions) throws(HL7ParseError) -> ER7Index {
        guard bytes.count < Int(UInt32.max) else {
            throw HL7ParseError(.tooLarge, "input of \(bytes.count) bytes is larger than 4 GiB")
        }
        var builder = Builder(options: options)
        try bytes.withUnsafeBufferPointer { (p: UnsafeBufferPointer<UInt8>) throws(HL7ParseError) in
            try builder.scan(p)
        }
        return ER7Index(bytes: bytes, segments: builder.segments, separators: builder.separators.finish(),
                        delimiterSets: builder.delimiterSets)
    }

    /// A growable buffer of separator offsets; cheaper than `Array.append` in the hot loop
    /// because capacity is checked once per 64-byte block, not once per separator.
    struct OffsetBuffer: ~Copyable {
        var base: UnsafeMutablePointer<UInt32>
        var count = 0
        var capacity: Int

        init(capacity: Int) {
            self.capacity = max(capacity, 64)
            base = .allocate(capacity: self.capacity)
        }

        deinit { base.deallocate() }

        @inline(__always)
        mutating func reserve(_ extra: Int) {
            if count + extra > capacity { grow(to: count + extra) }
        }

        mutating func grow(to needed: Int) {
            let newCapacity = max(needed, capacity * 2)
            let newBase = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
            newBase.update(from: base, count: count)
            base.deallocate()
            base = newBase
            capacity = newCapacity
        }

        @inline(__always)
        mutating func appendUnchecked(_ value: Int) {
            base[count] = UInt32(truncatingIfNeeded: value)
            count += 1
        }

        mutating func truncate(to n: Int) { count = n }

        consuming func finish() -> [UInt32] {
            Array(UnsafeBufferPointer(start: base, count: count))
        }
    }

    struct Builder: ~Copyable {
        let options: HL7ParseOptions
        var segments: [SegmentSpan] = []
        var separators: OffsetBuffer
        var delimiterSets: [HL7Delimiters] = []
        /// Offset where the current segment starts.
        var segmentStart = 0
        /// Number of separators recorded before the current segment.
        var segmentFirstSeparator = 0

        init(options: HL7ParseOptions) {
            self.options = options
            separators = OffsetBuffer(capacity: 256)
            segments.reserveCapacity(16)
        }

        mutating func scan(_ p: UnsafeBufferPointer<UInt8>) throws(HL7ParseError) {
            separators.reserve(p.count / 6)
            var position = 0
            // A UTF-8 byte-order mark before the first segment is not data.
            if p.count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { position = 3 }
            // Skip blank lines and white space before the first segment.
            while position < p.count, p[position] == ER7Scanner.cr || p[position] == ER7Scanner.lf
                    || ER7Scanner.isBlank(p[position]) {
                position += 1
            }
            guard position < p.count else {
                throw HL7ParseError(.empty, "no segments: the input is empty or white space", bytes: p, offset: position)
            }
            guard isHeader(p, at: position) else {
                throw HL7ParseError(.missingHeader, "input does not start with an MSH, FHS or BHS segment",
                                    bytes: p, offset: position, segmentIndex: 0)
            }
            var delimiters = try HL7Delimiters.read(header: p, at: position, segmentIndex: 0)
            delimiterSets.append(delimiters)
            segmentStart = position
            while true {
                let restart = try scanRun(p, from: position, fieldSeparator: delimiters.field)
                guard let restartAt = restart else { break }
                // A header with a different field separator starts at `restartAt`.
                delimiters = try HL7Delimiters.read(header: p, at: restartAt, segmentIndex: segments.count)
                delimiterSets.append(delimiters)
                position = restartAt
                segmentStart = restartAt
                segmentFirstSeparator = separators.count
            }
        }

        /// True when a header segment id (MSH, FHS, BHS) starts at `i`.
        @inline(__always)
        func isHeader(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
            guard i + 3 <= p.count else { return false }
            let a = p[i], b = p[i + 1], c = p[i + 2]
            return (a == 0x4D && b == 0x53 && c == 0x48) // MSH
                || (b == 0x48 && c == 0x53 && (a == 0x46 || a == 0x42)) // FHS, BHS
        }

        /// Scans from `start` with field separator `fs` to the end of input, or until a header
        /// segment declares another field separator: then returns that segment's offset.
        mutating func scanRun(_ p: UnsafeBufferPointer<UInt8>, from start: Int, fieldSeparator fs: UInt8) throws(HL7ParseError) -> Int? {
            let n = p.count
            var i = start
            guard let base = p.baseAddress else { return nil }
            #if arch(x86_64) && canImport(_Builtin_intrinsics)
            let vfs = _mm_set1_epi8(Int8(bitPattern: fs))
            let vcr = _mm_set1_epi8(13)
            let vlf = _mm_set1_epi8(10)
            while i + 64 <= n {
                var fsMask: UInt64 = 0
                var eolMask: UInt64 = 0
                for lane in 0..<4 {
                    let v = _mm_loadu_si128(UnsafeRawPointer(base + i + lane * 16).assumingMemoryBound(to: __m128i.self))
                    let f = UInt64(UInt16(truncatingIfNeeded: _mm_movemask_epi8(_mm_cmpeq_epi8(v, vfs))))
                    let e = UInt64(UInt16(truncatingIfNeeded: _mm_movemask_epi8(
                        _mm_or_si128(_mm_cmpeq_epi8(v, vcr), _mm_cmpeq_epi8(v, vlf)))))
                    fsMask |= f << (lane * 16)
                    eolMask |= e << (lane * 16)
                }
                if eolMask == 0 {
                    // Fast path: separators only.
                    separators.reserve(64)
                    var m = fsMask
                    while m != 0 {
                        separators.appendUnchecked(i + m.trailingZeroBitCount)
                        m &= m &- 1
                    }
                } else {
                    var m = fsMask | eolMask
                    separators.reserve(64)
                    while m != 0 {
                        let bit = m.trailingZeroBitCount
                        let at = i + bit
                        if eolMask & (1 << UInt64(bit)) != 0 {
                            if let restart = try endSegment(p, at: at, fieldSeparator: fs) { return restart }
                        } else {
                            separators.appendUnchecked(at)
                        }
                        m &= m &- 1
                    }
                }
                i += 64
            }
            #endif
            separators.reserve(n - i)
            while i < n {
                let b = base[i]
                if b == fs {
                    separators.appendUnchecked(i)
                } else if b == 13 || b == 10 {
                    if let restart = try endSegment(p, at: i, fieldSeparator: fs) { return restart }
                    separators.reserve(n - i)
                }
                i += 1
            }
            _ = try endSegment(p, at: n, fieldSeparator: fs)
            return nil
        }

        /// Closes the segment that ends at `end` (a terminator or the end of input) and starts the
        /// next one. Returns the next segment's offset when it is a header that declares a different
        /// field separator, so the caller rescans from there.
        @inline(__always)
        mutating func endSegment(_ p: UnsafeBufferPointer<UInt8>, at end: Int, fieldSeparator fs: UInt8) throws(HL7ParseError) -> Int? {
            let start = segmentStart
            let sepCount = separators.count - segmentFirstSeparator
            if end > start {
                try addSegment(p, start: start, end: end, separatorCount: sepCount)
            }
            segmentStart = end + 1
            segmentFirstSeparator = separators.count
            let next = end + 1
            if next + 3 < p.count, isHeader(p, at: next) {
                if p[next + 3] != fs { return next }
                // Same field separator: the other encoding characters may still differ.
                let current = delimiterSets[delimiterSets.count - 1]
                let declared = try HL7Delimiters.read(header: p, at: next, segmentIndex: segments.count)
                if declared != current { delimiterSets.append(declared) }
            }
            return nil
        }

        mutating func addSegment(_ p: UnsafeBufferPointer<UInt8>, start: Int, end: Int, separatorCount: Int) throws(HL7ParseError) {
            let header = isHeader(p, at: start) && separatorCount > 0 && Int(separators.base[segmentFirstSeparator]) == start + 3
            if separatorCount == 0 {
                // Lines of white space only are dropped like blank lines.
                var blank = true
                for k in start..<end where !ER7Scanner.isBlank(p[k]) {
                    blank = false
                    break
                }
                if blank { return }
            }
            let idEnd = separatorCount == 0 ? end : Int(separators.base[segmentFirstSeparator])
            if !header {
                try validateID(p, start: start, end: idEnd)
            }
            guard segments.count < options.maxSegments else {
                throw HL7ParseError(.tooManySegments, "more than \(options.maxSegments) segments",
                                    bytes: p, offset: start, segmentIndex: segments.count)
            }
            segments.append(SegmentSpan(
                start: UInt32(truncatingIfNeeded: start), end: UInt32(truncatingIfNeeded: end),
                firstSeparator: UInt32(truncatingIfNeeded: segmentFirstSeparator),
                separatorCount: UInt32(truncatingIfNeeded: separatorCount),
                delimiterSet: UInt16(truncatingIfNeeded: delimiterSets.count - 1), isHeader: header))
        }

        func validateID(_ p: UnsafeBufferPointer<UInt8>, start: Int, end: Int) throws(HL7ParseError) {
            let length = end - start
            if options.strictSegmentIDs {
                var valid = length == 3
                if valid {
                    for k in start..<end {
                        let b = p[k]
                        let upper = b >= 0x41 && b <= 0x5A
                        let digit = b >= 0x30 && b <= 0x39
                        if !(upper || (digit && k > start)) { valid = false }
                    }
                }
                guard valid else {
                    throw HL7ParseError(.invalidSegmentID,
                                        length == 0 ? "segment has an empty id"
                                            : "segment id must be 3 upper-case letters or digits starting with a letter",
                                        bytes: p, offset: start, segmentIndex: segments.count)
                }
            } else {
                guard length > 0 else {
                    throw HL7ParseError(.invalidSegmentID, "segment has an empty id",
                                        bytes: p, offset: start, segmentIndex: segments.count)
                }
            }
        }
    }
}
