// HL7 and HL7XML are compiled as one module for the fuzzer (scripts/fuzz.sh).
#if canImport(HL7)
import HL7
#endif

/// Maps the node stream of an HL7 v2.xml document to the equivalent ER7 bytes, exactly as
/// `../shared/conformance/README.md` ("XML messages") describes:
///
/// * the root element is the message (never a segment: a bare `<MSH>` root is refused);
/// * every element named like a segment id (`[A-Z][A-Z0-9]{2}`) below it is a segment, in
///   document order; other elements (groups such as `ADT_A01.PATIENT`) are transparent;
/// * `<SEG.n>` children of a segment are field n, same-name elements are repetitions,
///   `<TYPE.k>` children are components and their `<TYPE.j>` children subcomponents; text-only
///   fields (components) are component 1 (subcomponent 1); absent positions are empty;
/// * leaf text is taken exactly; whitespace between elements is ignored; `<escape V="x"/>`
///   becomes `\x\`; delimiter characters in text become `\F\ \S\ \T\ \R\ \E\ \P\`, and line
///   breaks (which would end the ER7 segment) `\X0D\` / `\X0A\`;
/// * `MSH.1`/`MSH.2` are taken raw and set the delimiters (standard ones when absent; an empty
///   duplicate is ignored).
///
/// Refused: anything inside a segment that is not `SEG.n`, `TYPE.k` or `escape` (HL7 0357 code
/// 102), elements below subcomponents, text mixed with child elements, a position given twice
/// for one repetition, DOCTYPE and entity nodes, a second MSH (one message per document).
struct XMLToER7 {
    enum Level { case group, segment, field, component, subcomponent, escape }

    /// One leaf value of the current segment: its position and its bytes in ``segmentBytes``.
    /// Leaves are kept flat (no nested arrays) and written out in position order at the end of
    /// the segment, so same-name elements need not be adjacent.
    struct Cell {
        var field: Int32, repetition: Int32, component: Int32, subcomponent: Int32
        var start: Int32, end: Int32

        func precedes(_ o: Cell) -> Bool {
            (field, repetition, component, subcomponent) < (o.field, o.repetition, o.component, o.subcomponent)
        }
    }

    let options: HL7XMLOptions
    private(set) var out: [UInt8] = []
    private var stack: [Level] = []
    private var finished = false

    // Delimiters, fixed by MSH.1/MSH.2 before the first other MSH field.
    private var fs: UInt8 = 0x7C, comp: UInt8 = 0x5E, rep: UInt8 = 0x7E, esc: UInt8 = 0x5C, sub: UInt8 = 0x26
    private var trunc: UInt8?
    private var msh1: [UInt8]?
    private var msh2: [UInt8]?
    private var delimitersFixed = false
    private var sawMSH = false
    /// MSH-18 (first repetition, component 1): the character set the ER7 text is encoded in.
    private var characterSetName: [UInt8]?

    // The segment being read.
    private var segmentID: [UInt8] = []
    private var isMSH = false
    private var segmentBytes: [UInt8] = []
    private var cells: [Cell] = []
    /// Repetitions seen so far per field number (reset per segment).
    private var repetitionCounts: [Int32] = []
    private var fieldNumber = 0, repetitionIndex = 0, componentNumber = 0, subcomponentNumber = 0
    /// Where the current field's, component's, subcomponent's text starts in ``segmentBytes``.
    private var fieldStart = 0, componentStart = 0, subcomponentStart = 0
    private var fieldHasChildren = false, componentHasChildren = false
    /// Whether the field (component) holds text other than white space (mixed-content check).
    private var fieldHasText = false, componentHasText = false

    init(options: HL7XMLOptions) {
        self.options = options
    }

    // MARK: elements

    mutating func start(_ name: UnsafeBufferPointer<UInt8>) throws(HL7XMLError) {
        guard stack.count < options.maxDepth else {
            throw HL7XMLError(.tooDeep, "elements are nested deeper than \(options.maxDepth) levels")
        }
        guard let top = stack.last else {
            guard !finished else { throw HL7XMLError(.notWellFormed, "content after the root element") }
            guard Self.isMessageName(name) else {
                throw HL7XMLError(.notHL7, "root element <\(Self.string(name))> is not an HL7 message structure (e.g. ADT_A01, ACK)")
            }
            stack.append(.group)
            return
        }
        switch top {
        case .group:
            if Self.isSegmentID(name) {
                try startSegment(name)
                stack.append(.segment)
            } else {
                stack.append(.group)
            }
        case .segment:
            guard let n = Self.position(name, prefix: segmentID), n <= options.maxPosition else {
                throw HL7XMLError(.unexpectedElement, "<\(Self.string(name))> inside \(Self.string(segmentID)) is not a field element \(Self.string(segmentID)).n (n from 1 to \(options.maxPosition))")
            }
            try startField(n)
            stack.append(.field)
        case .field:
            guard !(isMSH && fieldNumber <= 2) else {
                throw HL7XMLError(.invalidValue, "MSH.\(fieldNumber) holds the delimiters as text; it has no components")
            }
            guard let k = Self.position(name, prefix: nil), k <= options.maxPosition else {
                throw HL7XMLError(.unexpectedElement, "<\(Self.string(name))> in \(Self.string(segmentID)).\(fieldNumber) is not a component element TYPE.k")
            }
            fieldHasChildren = true
            componentNumber = k
            componentStart = segmentBytes.count
            componentHasChildren = false
            componentHasText = false
            stack.append(.component)
        case .component:
            guard let j = Self.position(name, prefix: nil), j <= options.maxPosition else {
                throw HL7XMLError(.unexpectedElement, "<\(Self.string(name))> in \(Self.string(segmentID)).\(fieldNumber).\(componentNumber) is not a subcomponent element TYPE.j")
            }
            componentHasChildren = true
            subcomponentNumber = j
            subcomponentStart = segmentBytes.count
            stack.append(.subcomponent)
        case .subcomponent:
            throw HL7XMLError(.unexpectedElement, "<\(Self.string(name))> is nested below a subcomponent (HL7 v2 has three levels)")
        case .escape:
            throw HL7XMLError(.invalidValue, "an <escape> element has no content but its V attribute")
        }
    }

    /// `<escape V="x"/>`: `\x\` in the current leaf.
    mutating func startEscape(_ value: [UInt8]?) throws(HL7XMLError) {
        guard let top = stack.last, top == .field || top == .component || top == .subcomponent else {
            throw HL7XMLError(.unexpectedElement, "<escape> outside a field, component or subcomponent")
        }
        guard let value, !value.isEmpty else {
            throw HL7XMLError(.invalidValue, "<escape> needs a non-empty V attribute")
        }
        guard !(isMSH && fieldNumber <= 2) else {
            throw HL7XMLError(.invalidValue, "MSH.\(fieldNumber) cannot hold an <escape>")
        }
        try fixDelimiters()
        for b in value where b == fs || b == comp || b == rep || b == sub || b == esc || b == 13 || b == 10 || Optional(b) == trunc {
            throw HL7XMLError(.invalidValue, "<escape V=...> contains the delimiter or line break \(Self.describe(b))")
        }
        segmentBytes.append(esc)
        segmentBytes += value
        segmentBytes.append(esc)
        markText(blank: false)
        try checkLength()
        stack.append(.escape)
    }

    mutating func end() throws(HL7XMLError) {
        guard let level = stack.popLast() else { throw HL7XMLError(.notWellFormed, "end tag without a start tag") }
        switch level {
        case .group:
            if stack.isEmpty { finished = true }
        case .escape:
            break
        case .subcomponent:
            addCell(component: componentNumber, subcomponent: subcomponentNumber, from: subcomponentStart)
        case .component:
            if componentHasChildren {
                try requireBlank(componentHasText, "component")
            } else {
                addCell(component: componentNumber, subcomponent: 1, from: componentStart)
            }
        case .field:
            try endField()
        case .segment:
            try endSegment()
        }
    }

    private mutating func addCell(component: Int, subcomponent: Int, from start: Int) {
        cells.append(Cell(field: Int32(fieldNumber), repetition: Int32(repetitionIndex), component: Int32(component),
                          subcomponent: Int32(subcomponent), start: Int32(start), end: Int32(segmentBytes.count)))
    }

    // MARK: segments and fields

    private mutating func startSegment(_ name: UnsafeBufferPointer<UInt8>) throws(HL7XMLError) {
        segmentID.removeAll(keepingCapacity: true)
        segmentID.append(contentsOf: name)
        isMSH = name[0] == 0x4D && name[1] == 0x53 && name[2] == 0x48
        if isMSH {
            guard !sawMSH else {
                throw HL7XMLError(.notHL7, "a second MSH: one HL7 v2.xml document holds one message")
            }
            sawMSH = true
        } else {
            guard sawMSH else {
                throw HL7XMLError(.notHL7, "segment \(Self.string(name)) before the MSH (every message starts with MSH)")
            }
        }
        segmentBytes.removeAll(keepingCapacity: true)
        cells.removeAll(keepingCapacity: true)
        for i in repetitionCounts.indices { repetitionCounts[i] = 0 }
    }

    private mutating func startField(_ n: Int) throws(HL7XMLError) {
        if !(isMSH && n <= 2) {
            // MSH.1 / MSH.2 are read raw; every other value needs the delimiters to escape text.
            try fixDelimiters()
        }
        fieldNumber = n
        while repetitionCounts.count <= n { repetitionCounts.append(0) }
        repetitionIndex = Int(repetitionCounts[n])
        repetitionCounts[n] += 1
        fieldStart = segmentBytes.count
        fieldHasChildren = false
        fieldHasText = false
    }

    private mutating func endField() throws(HL7XMLError) {
        if isMSH && fieldNumber <= 2 {
            let value = Array(segmentBytes[fieldStart...])
            segmentBytes.removeSubrange(fieldStart...)
            let existing = fieldNumber == 1 ? msh1 : msh2
            if existing != nil || delimitersFixed {
                // nhapi's QRY_R02 repeats empty <MSH.1/> <MSH.2/>: tolerated, anything else is not.
                guard value.isEmpty else {
                    throw HL7XMLError(.invalidValue, "MSH.\(fieldNumber) is given twice or after other MSH fields")
                }
                return
            }
            if fieldNumber == 1 { msh1 = value } else { msh2 = value }
            return
        }
        if fieldHasChildren {
            try requireBlank(fieldHasText, "field")
            // An element with only empty children still makes the repetition exist.
            if !cells.contains(where: { $0.field == Int32(fieldNumber) && $0.repetition == Int32(repetitionIndex) }) {
                cells.append(Cell(field: Int32(fieldNumber), repetition: Int32(repetitionIndex), component: 1, subcomponent: 1,
                                  start: Int32(segmentBytes.count), end: Int32(segmentBytes.count)))
            }
        } else {
            addCell(component: 1, subcomponent: 1, from: fieldStart)
        }
    }

    private mutating func endSegment() throws(HL7XMLError) {
        if isMSH { try fixDelimiters() }
        if !out.isEmpty { out.append(13) }
        out += segmentID
        var f: Int32 = 0
        if isMSH {
            out.append(fs)
            out += msh2 ?? []
            f = 2
        }
        var sorted = true
        for i in cells.indices.dropFirst() where !cells[i - 1].precedes(cells[i]) { sorted = false; break }
        if !sorted {
            cells.sort { $0.precedes($1) }
        }
        var r: Int32 = 0, c: Int32 = 1, s: Int32 = 1
        var previous: Cell?
        for cell in cells {
            if let previous, !previous.precedes(cell) {
                throw HL7XMLError(.unexpectedElement, "\(Self.string(segmentID)).\(cell.field) repetition \(cell.repetition + 1) gives component \(cell.component), subcomponent \(cell.subcomponent) twice")
            }
            previous = cell
            if cell.field > f {
                for _ in f..<cell.field { out.append(fs) }
                f = cell.field; r = 0; c = 1; s = 1
            }
            if cell.repetition > r {
                for _ in r..<cell.repetition { out.append(rep) }
                r = cell.repetition; c = 1; s = 1
            }
            if cell.component > c {
                for _ in c..<cell.component { out.append(comp) }
                c = cell.component; s = 1
            }
            if cell.subcomponent > s {
                for _ in s..<cell.subcomponent { out.append(sub) }
                s = cell.subcomponent
            }
            out += segmentBytes[Int(cell.start)..<Int(cell.end)]
            if isMSH && cell.field == 18 && cell.repetition == 0 && cell.component == 1 && cell.subcomponent == 1 {
                characterSetName = Array(segmentBytes[Int(cell.start)..<Int(cell.end)])
            }
        }
        guard out.count <= options.maxDocumentBytes * 4 else {
            throw HL7XMLError(.tooLarge, "the ER7 form of the message exceeds \(options.maxDocumentBytes * 4) bytes")
        }
    }

    /// Reads MSH.1/MSH.2 (standard delimiters for a missing one) once, before the first value
    /// that needs escaping.
    private mutating func fixDelimiters() throws(HL7XMLError) {
        guard !delimitersFixed else { return }
        let field = msh1 ?? [0x7C]
        let encoding = msh2 ?? Array("^~\\&".utf8)
        guard field.count == 1 else {
            throw HL7XMLError(.invalidValue, "MSH.1 must be one character, found \(field.count)")
        }
        guard encoding.count == 4 || encoding.count == 5 else {
            throw HL7XMLError(.invalidValue, "MSH.2 must be 4 characters (5 with the truncation character), found \(encoding.count)")
        }
        let all = field + encoding
        for (i, b) in all.enumerated() {
            let usable = b > 0x20 && b < 0x7F && !(b >= 0x30 && b <= 0x39) && !((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
            guard usable, !all[..<i].contains(b) else {
                throw HL7XMLError(.invalidValue, "MSH.1/MSH.2 character \(Self.describe(b)) is not a usable, distinct delimiter")
            }
        }
        fs = field[0]
        comp = encoding[0]; rep = encoding[1]; esc = encoding[2]; sub = encoding[3]
        trunc = encoding.count == 5 ? encoding[4] : nil
        msh1 = field
        msh2 = encoding
        delimitersFixed = true
    }

    // MARK: text

    mutating func text(_ value: UnsafeBufferPointer<UInt8>) throws(HL7XMLError) {
        switch stack.last {
        case .none, .group:
            guard Self.isBlank(value) else { throw HL7XMLError(.notHL7, "text outside any segment") }
        case .segment:
            guard Self.isBlank(value) else {
                throw HL7XMLError(.unexpectedElement, "text directly inside \(Self.string(segmentID)) (values belong in \(Self.string(segmentID)).n elements)")
            }
        case .escape:
            throw HL7XMLError(.invalidValue, "an <escape> element has no content but its V attribute")
        case .field where isMSH && fieldNumber <= 2:
            segmentBytes.append(contentsOf: value)
            markText(blank: Self.isBlank(value))
            try checkLength()
        case .field, .component, .subcomponent:
            // Fast path: nothing to escape (the usual case).
            var plain = true, blank = true
            for b in value {
                if b == fs || b == comp || b == sub || b == rep || b == esc || b == 13 || b == 10 || b == (trunc ?? fs) {
                    plain = false
                    break
                }
                if b != 0x20 && b != 0x09 { blank = false }
            }
            if plain {
                segmentBytes.append(contentsOf: value)
                markText(blank: blank)
                try checkLength()
                return
            }
            blank = true
            for b in value {
                let code: UInt8
                switch b {
                case fs: code = 0x46           // F
                case comp: code = 0x53         // S
                case sub: code = 0x54          // T
                case rep: code = 0x52          // R
                case esc: code = 0x45          // E
                case 13:                       // \X0D\: a line break would end the ER7 segment
                    segmentBytes += [esc, 0x58, 0x30, 0x44, esc]; continue
                case 10:                       // \X0A\
                    segmentBytes += [esc, 0x58, 0x30, 0x41, esc]; continue
                default:
                    if let trunc, b == trunc { code = 0x50 } // P
                    else {
                        if b != 0x20 && b != 0x09 { blank = false }
                        segmentBytes.append(b)
                        continue
                    }
                }
                blank = false
                segmentBytes.append(esc); segmentBytes.append(code); segmentBytes.append(esc)
            }
            markText(blank: blank)
            try checkLength()
        }
    }

    private mutating func markText(blank: Bool) {
        guard !blank else { return }
        switch stack.last {
        case .field: fieldHasText = true
        case .component: componentHasText = true
        default: break
        }
    }

    private func checkLength() throws(HL7XMLError) {
        let start = switch stack.last {
        case .component: componentStart
        case .subcomponent: subcomponentStart
        default: fieldStart
        }
        guard segmentBytes.count - start <= options.maxValueBytes else {
            throw HL7XMLError(.tooLarge, "a value is longer than \(options.maxValueBytes) bytes")
        }
    }

    private func requireBlank(_ hasText: Bool, _ what: String) throws(HL7XMLError) {
        guard !hasText else {
            throw HL7XMLError(.unexpectedElement, "\(what) of \(Self.string(segmentID)).\(fieldNumber) mixes text with child elements")
        }
    }

    /// libxml2 hands over UTF-8; an ER7 message that declares another set in MSH-18 carries its
    /// text in that set (so `8859/1` messages read back byte for byte). When a character does not
    /// fit the declared set the bytes stay UTF-8 (the ER7 reader's fallback then decodes them).
    mutating func encodeInDeclaredCharacterSet() {
        guard let name = characterSetName, let set = HL7CharacterSet(hl7Name: String(decoding: name, as: UTF8.self)),
              set != .utf8, !out.allSatisfy({ $0 < 0x80 }) else { return }
        let text = String(decoding: out, as: UTF8.self)
        let encoded = set.encode(text)
        let roundTrips = encoded.withUnsafeBufferPointer { set.decode($0) == text }
        if roundTrips { out = encoded }
    }

    mutating func finish() throws(HL7XMLError) {
        guard finished else { throw HL7XMLError(.notWellFormed, "the document ends before its root element is closed") }
        guard sawMSH else { throw HL7XMLError(.notHL7, "the message has no MSH segment") }
    }

    // MARK: names

    /// `[A-Z][A-Z0-9]{2}`.
    static func isSegmentID(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        name.count == 3 && isUpper(name[0]) && (isUpper(name[1]) || isDigit(name[1])) && (isUpper(name[2]) || isDigit(name[2]))
    }

    /// A message structure name: `ACK`, `ADT_A01`, `QRY_R02`… (`[A-Z][A-Z0-9]{2}(_[A-Z0-9_]+)?`),
    /// but never a bare header segment (`MSH`, `FHS`, `BHS`).
    static func isMessageName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count >= 3, isSegmentID(UnsafeBufferPointer(rebasing: name[0..<3])) else { return false }
        if name.count == 3 {
            let id = Array(name)
            return id != Array("MSH".utf8) && id != Array("FHS".utf8) && id != Array("BHS".utf8)
        }
        guard name[3] == 0x5F, name.count > 4 else { return false }
        return name[4...].allSatisfy { isUpper($0) || isDigit($0) || $0 == 0x5F }
    }

    /// `n` of `PREFIX.n` (any prefix when `prefix` is nil; `n` without leading zeros, ≥ 1).
    static func position(_ name: UnsafeBufferPointer<UInt8>, prefix: [UInt8]?) -> Int? {
        guard let dot = name.lastIndex(of: 0x2E), dot > 0, dot + 1 < name.count, name.count - dot <= 8 else { return nil }
        if let prefix, !name[0..<dot].elementsEqual(prefix) { return nil }
        guard name[dot + 1] != 0x30 else { return nil }
        var n = 0
        for b in name[(dot + 1)...] {
            guard isDigit(b) else { return nil }
            n = n * 10 + Int(b - 0x30)
        }
        return n
    }

    static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    static func string(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.prefix(64), as: UTF8.self)
    }

    static func describe(_ b: UInt8) -> String {
        b > 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "0x" + String(b, radix: 16, uppercase: true)
    }
}
