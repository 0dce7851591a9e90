// HL7 and HL7XML are compiled as one module for the fuzzer (scripts/fuzz.sh).
#if canImport(HL7)
import HL7
#endif

/// Maps the element and text events of an HL7 v2.xml document to the equivalent ER7 message,
/// exactly as `../shared/conformance/README.md` ("XML messages") describes:
///
/// * the root element is the message (never a segment: a bare `<MSH>` root is refused);
/// * every element named like a segment id (`[A-Z][A-Z0-9]{2}`) below it is a segment, in
///   document order; other elements (groups such as `ADT_A01.PATIENT`) are transparent;
/// * `<SEG.n>` children of a segment are field n, same-name elements are repetitions,
///   `<TYPE.k>` children are components and their `<TYPE.j>` children subcomponents; text-only
///   fields (components) are component 1 (subcomponent 1); absent positions are empty;
/// * leaf text is taken exactly, line breaks included (libxml2 has already applied XML's
///   end-of-line rule: CRLF and CR arrive as LF, `&#13;` as CR); whitespace between elements is
///   ignored; `<escape V="x"/>` becomes `\x\`; delimiter characters in text become
///   `\F\ \S\ \T\ \R\ \E\ \P\`;
/// * `MSH.1`/`MSH.2` are taken raw and set the delimiters (standard ones when absent; an empty
///   duplicate is ignored).
///
/// The message is written into an ``HL7MessageBuilder``, which indexes it as it goes: the ER7
/// bytes are never scanned again, and a line break in a value stays a character of the value
/// (ER7 renderings of the message write it `\X0D\` / `\X0A\`).
///
/// Refused: anything inside a segment that is not `SEG.n`, `TYPE.k` or `escape` (HL7 0357 code
/// 102), elements below subcomponents, text mixed with child elements, a position given twice
/// for one repetition, a second MSH (one message per document).
///
/// State is flat (a level, counters, offsets) and every buffer is reused for the next segment
/// and, through the pooled ``XMLParseSession``, the next document: nothing is allocated per
/// element.
struct XMLToER7: ~Copyable {
    /// Where the parse is: outside segments (root and groups), or in a segment at some depth.
    enum Level { case outside, segment, field, component, subcomponent }

    /// One leaf value of the current segment: its position and its bytes in ``text``. Leaves are
    /// kept flat and written out in position order at the end of the segment, so same-name
    /// elements need not be adjacent.
    struct Cell {
        var field: Int32, repetition: Int32, component: Int32, subcomponent: Int32
        var start: Int32, end: Int32

        func precedes(_ o: Cell) -> Bool {
            (field, repetition, component, subcomponent) < (o.field, o.repetition, o.component, o.subcomponent)
        }
    }

    private(set) var options = HL7XMLOptions.default
    /// The message being written.
    var builder: HL7MessageBuilder

    // Nesting.
    private var depth = 0
    private var groupDepth = 0
    private var level = Level.outside
    private var inEscape = false
    private var finished = false
    private var sawMSH = false

    // Delimiters, fixed by MSH.1/MSH.2 before the first other MSH field.
    private var delimiters = HL7Delimiters.standard
    private var delimitersFixed = false
    private var msh1 = ScratchBuffer<UInt8>(capacity: 8), msh1Given = false
    private var msh2 = ScratchBuffer<UInt8>(capacity: 8), msh2Given = false
    /// Per byte value: the letter of its escape sequence (`F` for the field separator, …) when
    /// it is a delimiter, else 0.
    private var escapeLetters = ScratchBuffer<UInt8>(capacity: 256)
    /// MSH-18 (first repetition, component 1), when it names a set: the ER7 text's encoding.
    private var declaredCharacterSet: HL7CharacterSet?

    // The segment being read.
    /// The segment's id (three bytes).
    private var segmentID = ScratchBuffer<UInt8>(capacity: 3)
    private var isMSH = false
    /// The segment's leaf text, escaped, in document order; ``cells`` point into it.
    private var text = ScratchBuffer<UInt8>(capacity: 4096)
    private var cells = ScratchBuffer<Cell>(capacity: 256)
    /// Repetitions seen so far per field number, for the fields `0..<usedFields` of this segment.
    private var repetitionCounts = ScratchBuffer<Int32>(capacity: 64)
    private var fieldNumber: Int32 = 0, repetitionIndex: Int32 = 0, componentNumber: Int32 = 0, subcomponentNumber: Int32 = 0
    /// Where the current field's, component's, subcomponent's text starts in ``text``.
    private var fieldStart = 0, componentStart = 0, subcomponentStart = 0
    /// Where the open element's text starts (the value-length limit counts from here).
    private var valueStart = 0
    /// Where text directly inside the field (component) after its last child starts: it must
    /// be white space once the element has children.
    private var fieldLooseText = 0, componentLooseText = 0
    private var fieldHasChildren = false, componentHasChildren = false
    /// ``cells`` count when the current field element started.
    private var fieldFirstCell = 0

    init() {
        // The standard delimiters always validate.
        builder = try! HL7MessageBuilder(delimiters: .standard)
        escapeLetters.resize(to: 256, filling: 0)
    }

    /// Prepares for a new document (buffers keep their capacity).
    mutating func reset(options: HL7XMLOptions) {
        self.options = options
        try! builder.reset(delimiters: .standard)
        depth = 0; groupDepth = 0; level = .outside; inEscape = false; finished = false; sawMSH = false
        delimiters = .standard; delimitersFixed = false
        msh1.truncate(to: 0); msh1Given = false
        msh2.truncate(to: 0); msh2Given = false
        declaredCharacterSet = nil
    }

    /// Bytes held by the scratch buffers and the builder (a session holding much is not kept).
    var reservedBytes: Int {
        text.capacity + cells.capacity * MemoryLayout<Cell>.stride + repetitionCounts.capacity * 4 + builder.reservedBytes
    }

    // MARK: elements

    mutating func start(_ name: UnsafeBufferPointer<UInt8>) throws(HL7XMLError) {
        guard !inEscape else { throw HL7XMLError(.invalidValue, "an <escape> element has no content but its V attribute") }
        guard depth < options.maxDepth else {
            throw HL7XMLError(.tooDeep, "elements are nested deeper than \(options.maxDepth) levels")
        }
        depth += 1
        switch level {
        case .outside:
            if groupDepth == 0 {
                guard !finished else { throw HL7XMLError(.notWellFormed, "content after the root element") }
                guard XMLElementNames.isMessageName(name) else {
                    throw HL7XMLError(.notHL7, "root element <\(XMLElementNames.string(name))> is not an HL7 message structure (e.g. ADT_A01, ACK)")
                }
                groupDepth = 1
            } else if XMLElementNames.isSegmentID(name) {
                try startSegment(name)
                level = .segment
            } else {
                groupDepth += 1
            }
        case .segment:
            guard let n = XMLElementNames.fieldNumber(name, segment: segmentID.elements), n <= options.maxPosition else {
                throw HL7XMLError(.unexpectedElement, "<\(XMLElementNames.string(name))> inside \(segmentName) is not a field element \(segmentName).n (n from 1 to \(options.maxPosition))")
            }
            try startField(n)
            level = .field
        case .field:
            guard !(isMSH && fieldNumber <= 2) else {
                throw HL7XMLError(.invalidValue, "MSH.\(fieldNumber) holds the delimiters as text; it has no components")
            }
            guard let k = XMLElementNames.position(name), k <= options.maxPosition else {
                throw HL7XMLError(.unexpectedElement, "<\(XMLElementNames.string(name))> in \(segmentName).\(fieldNumber) is not a component element TYPE.k")
            }
            try dropLooseText(from: fieldLooseText, "field")
            fieldHasChildren = true
            componentNumber = Int32(k)
            componentStart = text.count
            componentLooseText = text.count
            valueStart = componentStart
            componentHasChildren = false
            level = .component
        case .component:
            guard let j = XMLElementNames.position(name), j <= options.maxPosition else {
                throw HL7XMLError(.unexpectedElement, "<\(XMLElementNames.string(name))> in \(segmentName).\(fieldNumber).\(componentNumber) is not a subcomponent element TYPE.j")
            }
            try dropLooseText(from: componentLooseText, "component")
            componentHasChildren = true
            subcomponentNumber = Int32(j)
            subcomponentStart = text.count
            valueStart = subcomponentStart
            level = .subcomponent
        case .subcomponent:
            throw HL7XMLError(.unexpectedElement, "<\(XMLElementNames.string(name))> is nested below a subcomponent (HL7 v2 has three levels)")
        }
    }

    /// `<escape V="x"/>`: `\x\` in the current leaf.
    mutating func startEscape(_ value: UnsafeBufferPointer<UInt8>?) throws(HL7XMLError) {
        guard !inEscape, level == .field || level == .component || level == .subcomponent else {
            throw HL7XMLError(.unexpectedElement, "<escape> outside a field, component or subcomponent")
        }
        guard depth < options.maxDepth else {
            throw HL7XMLError(.tooDeep, "elements are nested deeper than \(options.maxDepth) levels")
        }
        guard let value, !value.isEmpty else {
            throw HL7XMLError(.invalidValue, "<escape> needs a non-empty V attribute")
        }
        guard !(isMSH && fieldNumber <= 2) else {
            throw HL7XMLError(.invalidValue, "MSH.\(fieldNumber) cannot hold an <escape>")
        }
        try fixDelimiters()
        for b in value where escapeLetters[Int(b)] != 0 || b == 13 || b == 10 {
            throw HL7XMLError(.invalidValue, "<escape V=...> contains the delimiter or line break \(XMLElementNames.describe(b))")
        }
        text.append(delimiters.escape)
        text.append(value)
        text.append(delimiters.escape)
        try checkValueLength()
        depth += 1
        inEscape = true
    }

    mutating func end() throws(HL7XMLError) {
        depth -= 1
        if inEscape {
            inEscape = false
            return
        }
        switch level {
        case .outside:
            groupDepth -= 1
            if groupDepth == 0 { finished = true }
        case .subcomponent:
            addCell(component: componentNumber, subcomponent: subcomponentNumber, from: subcomponentStart)
            level = .component
            valueStart = componentStart
            componentLooseText = text.count
        case .component:
            if componentHasChildren {
                try dropLooseText(from: componentLooseText, "component")
            } else {
                addCell(component: componentNumber, subcomponent: 1, from: componentStart)
            }
            level = .field
            valueStart = fieldStart
            fieldLooseText = text.count
        case .field:
            try endField()
            level = .segment
        case .segment:
            try endSegment()
            level = .outside
        }
    }

    private mutating func addCell(component: Int32, subcomponent: Int32, from start: Int) {
        cells.append(Cell(field: fieldNumber, repetition: repetitionIndex, component: component, subcomponent: subcomponent,
                          start: Int32(truncatingIfNeeded: start), end: Int32(truncatingIfNeeded: text.count)))
    }

    /// Text directly inside an element that has children must be white space: it is dropped.
    private mutating func dropLooseText(from start: Int, _ what: String) throws(HL7XMLError) {
        guard text.count > start else { return }
        guard XMLElementNames.isBlank(text.elements(start..<text.count)) else {
            throw HL7XMLError(.unexpectedElement, "\(what) of \(segmentName).\(fieldNumber) mixes text with child elements")
        }
        text.truncate(to: start)
    }

    private var segmentName: String {
        XMLElementNames.string(segmentID.elements)
    }

    // MARK: segments and fields

    private mutating func startSegment(_ name: UnsafeBufferPointer<UInt8>) throws(HL7XMLError) {
        segmentID.truncate(to: 0)
        segmentID.append(name)
        isMSH = name[0] == 0x4D && name[1] == 0x53 && name[2] == 0x48
        if isMSH {
            guard !sawMSH else {
                throw HL7XMLError(.notHL7, "a second MSH: one HL7 v2.xml document holds one message")
            }
            sawMSH = true
        } else {
            guard sawMSH else {
                throw HL7XMLError(.notHL7, "segment \(XMLElementNames.string(name)) before the MSH (every message starts with MSH)")
            }
        }
        text.truncate(to: 0)
        cells.truncate(to: 0)
        repetitionCounts.truncate(to: 0)
    }

    private mutating func startField(_ n: Int) throws(HL7XMLError) {
        if !(isMSH && n <= 2) {
            // MSH.1 / MSH.2 are read raw; every other value needs the delimiters to escape text.
            try fixDelimiters()
        }
        fieldNumber = Int32(n)
        if repetitionCounts.count <= n { repetitionCounts.resize(to: n + 1, filling: 0) }
        repetitionIndex = repetitionCounts[n]
        repetitionCounts[n] = repetitionIndex + 1
        fieldStart = text.count
        fieldLooseText = fieldStart
        valueStart = fieldStart
        fieldHasChildren = false
        fieldFirstCell = cells.count
    }

    private mutating func endField() throws(HL7XMLError) {
        if isMSH && fieldNumber <= 2 {
            let value = text.elements(fieldStart..<text.count)
            defer { text.truncate(to: fieldStart) }
            if (fieldNumber == 1 ? msh1Given : msh2Given) || delimitersFixed {
                // nhapi's QRY_R02 repeats empty <MSH.1/> <MSH.2/>: tolerated, anything else is not.
                guard value.isEmpty else {
                    throw HL7XMLError(.invalidValue, "MSH.\(fieldNumber) is given twice or after other MSH fields")
                }
                return
            }
            if fieldNumber == 1 {
                msh1.append(value)
                msh1Given = true
            } else {
                msh2.append(value)
                msh2Given = true
            }
            return
        }
        if fieldHasChildren {
            try dropLooseText(from: fieldLooseText, "field")
            // An element with only empty children still makes the repetition exist.
            if cells.count == fieldFirstCell {
                cells.append(Cell(field: fieldNumber, repetition: repetitionIndex, component: 1, subcomponent: 1,
                                  start: Int32(truncatingIfNeeded: text.count), end: Int32(truncatingIfNeeded: text.count)))
            }
        } else {
            addCell(component: 1, subcomponent: 1, from: fieldStart)
        }
    }

    /// Writes the segment's cells in position order, with the delimiters that reach each one.
    private mutating func endSegment() throws(HL7XMLError) {
        if isMSH { try fixDelimiters() }
        var sorted = true
        var i = 1
        while i < cells.count {
            if !cells[i - 1].precedes(cells[i]) { sorted = false; break }
            i += 1
        }
        if !sorted {
            var all = UnsafeMutableBufferPointer(start: cells.base, count: cells.count)
            all.sort { $0.precedes($1) }
        }
        do {
            try builder.beginSegment(segmentID.elements)
        } catch {
            throw HL7XMLError(.invalidMessage, "segment \(segmentName): \(error.message)", parseError: error)
        }
        // MSH-1 and MSH-2 come from the builder's delimiters.
        var f: Int32 = isMSH ? 2 : 0, r: Int32 = 0, c: Int32 = 1, s: Int32 = 1
        var previous: Cell?
        for k in 0..<cells.count {
            let cell = cells[k]
            if let previous, !previous.precedes(cell) {
                throw HL7XMLError(.unexpectedElement, "\(segmentName).\(cell.field) repetition \(cell.repetition + 1) gives component \(cell.component), subcomponent \(cell.subcomponent) twice")
            }
            previous = cell
            if cell.field > f {
                for _ in f..<cell.field { builder.appendFieldSeparator() }
                f = cell.field; r = 0; c = 1; s = 1
            }
            if cell.repetition > r {
                builder.append(delimiters.repetition, count: Int(cell.repetition - r))
                r = cell.repetition; c = 1; s = 1
            }
            if cell.component > c {
                builder.append(delimiters.component, count: Int(cell.component - c))
                c = cell.component; s = 1
            }
            if cell.subcomponent > s {
                builder.append(delimiters.subcomponent, count: Int(cell.subcomponent - s))
                s = cell.subcomponent
            }
            let value = text.elements(Int(cell.start)..<Int(cell.end))
            builder.append(value)
            if isMSH && cell.field == 18 && cell.repetition == 0 && cell.component == 1 && cell.subcomponent == 1 {
                declaredCharacterSet = HL7CharacterSet(hl7NameBytes: value)
            }
        }
        builder.endSegment()
        guard builder.byteCount <= options.maxDocumentBytes * 4 else {
            throw HL7XMLError(.tooLarge, "the ER7 form of the message exceeds \(options.maxDocumentBytes * 4) bytes")
        }
    }

    /// Reads MSH.1/MSH.2 (standard delimiters for a missing one) once, before the first value
    /// that needs escaping.
    private mutating func fixDelimiters() throws(HL7XMLError) {
        guard !delimitersFixed else { return }
        let field = msh1Given ? Array(msh1.elements) : [0x7C]
        let encoding = msh2Given ? Array(msh2.elements) : Array("^~\\&".utf8)
        guard field.count == 1 else {
            throw HL7XMLError(.invalidValue, "MSH.1 must be one character, found \(field.count)")
        }
        guard encoding.count == 4 || encoding.count == 5 else {
            throw HL7XMLError(.invalidValue, "MSH.2 must be 4 characters (5 with the truncation character), found \(encoding.count)")
        }
        let all = field + encoding
        for (i, b) in all.enumerated() {
            let usable = b > 0x20 && b < 0x7F && !XMLElementNames.isDigit(b) && !((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
            guard usable, !all[..<i].contains(b) else {
                throw HL7XMLError(.invalidValue, "MSH.1/MSH.2 character \(XMLElementNames.describe(b)) is not a usable, distinct delimiter")
            }
        }
        delimiters = HL7Delimiters(field: field[0], component: encoding[0], repetition: encoding[1], escape: encoding[2],
                                   subcomponent: encoding[3], truncation: encoding.count == 5 ? encoding[4] : nil)
        do {
            try builder.reset(delimiters: delimiters)
        } catch {
            throw HL7XMLError(.invalidValue, "MSH.1/MSH.2: \(error.message)", parseError: error)
        }
        for b in 0..<256 { escapeLetters[b] = 0 }
        escapeLetters[Int(delimiters.field)] = 0x46         // F
        escapeLetters[Int(delimiters.component)] = 0x53     // S
        escapeLetters[Int(delimiters.subcomponent)] = 0x54  // T
        escapeLetters[Int(delimiters.repetition)] = 0x52    // R
        escapeLetters[Int(delimiters.escape)] = 0x45        // E
        if let truncation = delimiters.truncation { escapeLetters[Int(truncation)] = 0x50 } // P
        delimitersFixed = true
    }

    // MARK: text

    mutating func text(_ value: UnsafeBufferPointer<UInt8>) throws(HL7XMLError) {
        guard !inEscape else { throw HL7XMLError(.invalidValue, "an <escape> element has no content but its V attribute") }
        switch level {
        case .outside:
            guard XMLElementNames.isBlank(value) else { throw HL7XMLError(.notHL7, "text outside any segment") }
        case .segment:
            guard XMLElementNames.isBlank(value) else {
                throw HL7XMLError(.unexpectedElement, "text directly inside \(segmentName) (values belong in \(segmentName).n elements)")
            }
        case .field where isMSH && fieldNumber <= 2:
            text.append(value)
            try checkValueLength()
        case .field, .component, .subcomponent:
            appendEscaped(value)
            try checkValueLength()
        }
    }

    /// Appends text with each delimiter character as its escape sequence; everything else,
    /// line breaks included, as is.
    private mutating func appendEscaped(_ value: UnsafeBufferPointer<UInt8>) {
        guard let base = value.baseAddress else { return }
        let letters = escapeLetters.base
        let n = value.count
        var i = 0
        while i < n && letters[Int(base[i])] == 0 { i += 1 }
        text.append(UnsafeBufferPointer(start: base, count: i))
        while i < n {
            let b = base[i]
            let letter = letters[Int(b)]
            if letter == 0 {
                text.append(b)
            } else {
                text.append(delimiters.escape)
                text.append(letter)
                text.append(delimiters.escape)
            }
            i += 1
        }
    }

    @inline(__always)
    private func checkValueLength() throws(HL7XMLError) {
        guard text.count - valueStart <= options.maxValueBytes else {
            throw HL7XMLError(.tooLarge, "a value is longer than \(options.maxValueBytes) bytes")
        }
    }

    /// Checks that the document ended properly, then (XML text being UTF-8) re-encodes the
    /// message in the character set MSH-18 declares, so that `8859/1` messages read back byte
    /// for byte; characters the set cannot hold leave the message in UTF-8 (the ER7 reader's
    /// fallback then decodes it).
    mutating func finish() throws(HL7XMLError) {
        guard finished else { throw HL7XMLError(.notWellFormed, "the document ends before its root element is closed") }
        guard sawMSH else { throw HL7XMLError(.notHL7, "the message has no MSH segment") }
        if let declaredCharacterSet, declaredCharacterSet != .utf8 {
            builder.reencode(in: declaredCharacterSet)
        }
    }
}
