/// Changing values and building messages.
///
/// The message stays a byte buffer with an index: an edit splices the new bytes in, adding
/// the delimiters needed to reach a position that does not exist yet (`PID-13` on a PID with
/// five fields), and re-indexes. Edits cost O(message size); they are for building and
/// correcting messages, not for the receive path. Re-indexing reads ER7, which cannot hold line
/// breaks inside values: a message built from HL7 v2.xml whose values hold them takes their ER7
/// form (`\X0D\`, `\X0A\`, the same text once decoded) at its first edit.
extension HL7Message {
    /// Makes the bytes plain ER7 before an edit re-indexes them (see the extension's note).
    mutating func prepareForEditing() throws(HL7ParseError) {
        guard storage.valuesHoldLineBreaks else { return }
        storage = try ER7Scanner.index(serialized(), options: options)
    }

    /// Sets the value at `path` to `text`, escaping delimiters and line breaks (`\F\`, `\.br\`…).
    /// A path that stops at a field replaces the whole field (all repetitions and components).
    /// A missing segment is appended to the message.
    ///
    /// - Throws: ``HL7ParseError`` `.invalidPath` for MSH-1 and MSH-2, which hold the delimiters.
    public mutating func set(_ path: HL7Path, to text: String) throws(HL7ParseError) {
        try setRaw(path, to: HL7Escaping.encode(text, delimiters: delimiters, characterSet: characterSet))
    }

    /// Sets the value at `path` to ER7 bytes as they should appear on the wire. The bytes may hold
    /// delimiters below the path's level (components inside a field, say) but never a segment
    /// terminator or a delimiter at or above the path's level.
    public mutating func setRaw(_ path: HL7Path, to raw: [UInt8]) throws(HL7ParseError) {
        let d = delimiters
        let header = path.segmentID == (0x4D, 0x53, 0x48)
        if header && path.field <= 2 {
            throw HL7ParseError(.invalidPath, "\(path) holds the delimiters and cannot be set")
        }
        var forbidden: [UInt8] = [13, 10, d.field]
        if path.repetition != nil || path.component != nil { forbidden.append(d.repetition) }
        if path.component != nil { forbidden.append(d.component) }
        if path.subcomponent != nil { forbidden.append(d.subcomponent) }
        if let bad = raw.firstIndex(where: { forbidden.contains($0) }) {
            throw HL7ParseError(.invalidPath, "value for \(path) contains a delimiter or line break at byte \(bad)")
        }
        try prepareForEditing()
        var bytes = storage.bytes
        let (replace, insertion) = locate(path, raw: raw)
        bytes.replaceSubrange(replace, with: insertion)
        storage = try ER7Scanner.index(bytes, options: options)
    }

    /// Removes the `occurrence`th segment named `id`; MSH cannot be removed.
    public mutating func removeSegment(named id: String, occurrence: Int = 1) throws(HL7ParseError) {
        guard id != "MSH" else { throw HL7ParseError(.invalidPath, "MSH cannot be removed") }
        try prepareForEditing()
        guard let seg = segment(named: id, occurrence: occurrence) else { return }
        var bytes = storage.bytes
        var range = seg.byteRange
        // Take the terminator(s) after the segment with it.
        while range.upperBound < bytes.count, bytes[range.upperBound] == 13 || bytes[range.upperBound] == 10 {
            range = range.lowerBound..<(range.upperBound + 1)
        }
        bytes.removeSubrange(range)
        storage = try ER7Scanner.index(bytes, options: options)
    }

    /// Appends a segment whose fields are given as text (escaped on the way in); `nil` and
    /// empty strings make empty fields.
    public mutating func appendSegment(_ id: String, fields: [String?]) throws(HL7ParseError) {
        var raw = Array(id.utf8)
        guard raw.count == 3, id != "MSH" else { throw HL7ParseError(.invalidPath, "cannot append a segment with id '\(id)'") }
        for field in fields {
            raw.append(delimiters.field)
            if let field { raw += HL7Escaping.encode(field, delimiters: delimiters, characterSet: characterSet) }
        }
        try appendRawSegment(raw)
    }

    /// Appends one segment given as ER7 bytes (no terminator).
    public mutating func appendRawSegment(_ raw: [UInt8]) throws(HL7ParseError) {
        try prepareForEditing()
        var bytes = storage.bytes
        if let last = bytes.last, last != 13, last != 10 { bytes.append(13) }
        bytes += raw
        bytes.append(13)
        storage = try ER7Scanner.index(bytes, options: options)
        if storage.segments.count > 1, storage.segments.dropFirst().contains(where: \.isHeader) {
            throw HL7ParseError(.multipleMessages, "an appended segment may not be a header")
        }
    }

    /// The byte range to replace and the bytes to put there so that `path` holds `raw`.
    func locate(_ path: HL7Path, raw: [UInt8]) -> (Range<Int>, [UInt8]) {
        let d = delimiters
        let bytes = storage.bytes
        // Levels below the field that the path names: (delimiter, position).
        var levels: [(UInt8, Int)] = []
        if let r = path.repetition { levels.append((d.repetition, r)) } else if path.component != nil { levels.append((d.repetition, 1)) }
        if let c = path.component { levels.append((d.component, c)) }
        if let s = path.subcomponent { levels.append((d.subcomponent, s)) }

        /// Padding for positions that do not exist yet: `count` delimiters, then the padding of
        /// the remaining levels, then the value.
        func padded(from level: Int, missing count: Int, delimiter: UInt8) -> [UInt8] {
            var out = [UInt8](repeating: delimiter, count: count)
            for (delim, position) in levels[level...] { out += [UInt8](repeating: delim, count: position - 1) }
            out += raw
            return out
        }

        guard let seg = segment(path.segmentID.0, path.segmentID.1, path.segmentID.2, occurrence: path.occurrence) else {
            // Append the segment (and any earlier missing occurrences) at the end.
            let have = segments.filter { $0.storage.segment($0.index, hasID: path.segmentID.0, path.segmentID.1, path.segmentID.2) }.count
            var out: [UInt8] = []
            if let last = bytes.last, last != 13, last != 10 { out.append(13) }
            let id = [path.segmentID.0, path.segmentID.1, path.segmentID.2]
            for _ in have..<(path.occurrence - 1) { out += id + [13] }
            out += id
            out += [UInt8](repeating: d.field, count: path.field)
            for (delim, position) in levels { out += [UInt8](repeating: delim, count: position - 1) }
            out += raw
            out.append(13)
            return (bytes.count..<bytes.count, out)
        }
        let fieldCount = seg.fieldCount
        guard path.field <= fieldCount else {
            let end = seg.byteRange.upperBound
            return (end..<end, padded(from: 0, missing: path.field - fieldCount, delimiter: d.field))
        }
        var range = storage.fieldRange(segment: seg.index, field: path.field)!
        for (k, (delim, position)) in levels.enumerated() {
            // Find child `position` of `range` split by `delim`.
            var start = range.lowerBound
            var n = 1
            var i = range.lowerBound
            var found: Range<Int>? = nil
            while i < range.upperBound {
                if bytes[i] == delim {
                    if n == position { found = start..<i; break }
                    n += 1
                    start = i + 1
                }
                i += 1
            }
            if found == nil, n == position { found = start..<range.upperBound }
            guard let child = found else {
                let end = range.upperBound
                return (end..<end, padded(from: k + 1, missing: position - n, delimiter: delim))
            }
            range = child
        }
        return (range, raw)
    }

    /// A new message with an MSH built from the given values (escaped), ready for ``set(_:to:)``
    /// and ``appendSegment(_:fields:)``.
    ///
    /// - Parameters:
    ///   - messageType: MSH-9 as `CODE^EVENT[^STRUCTURE]`, written with `^` whatever the delimiters.
    ///   - timestamp: MSH-7.
    public static func make(messageType: String, controlID: String, timestamp: HL7Timestamp,
                            version: String = "2.5.1", processingID: String = "P",
                            sendingApplication: String = "", sendingFacility: String = "",
                            receivingApplication: String = "", receivingFacility: String = "",
                            characterSet: HL7CharacterSet? = nil,
                            delimiters: HL7Delimiters = .standard) throws(HL7ParseError) -> HL7Message {
        let d = delimiters
        func esc(_ s: String) -> [UInt8] { HL7Escaping.encode(s, delimiters: d, characterSet: characterSet) }
        func composite(_ s: String) -> [UInt8] {
            s.split(separator: "^", omittingEmptySubsequences: false)
                .map { esc(String($0)) }
                .joined(separator: [d.component]).map { $0 }
        }
        var raw: [UInt8] = Array("MSH".utf8) + [d.field] + d.encodingCharacters
        let fields: [[UInt8]] = [
            composite(sendingApplication), composite(sendingFacility), composite(receivingApplication),
            composite(receivingFacility), esc(timestamp.description), [], composite(messageType), esc(controlID),
            esc(processingID), esc(version),
        ]
        for f in fields { raw += [d.field] + f }
        if let characterSet { raw += [UInt8](repeating: d.field, count: 6) + esc(characterSet.hl7Name) }
        raw.append(13)
        return try HL7Message(parsing: raw)
    }
}
