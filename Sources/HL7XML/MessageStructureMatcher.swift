/// Places a message's segments into the groups of its v2.5.1 structure (``HL7XMLDictionary``),
/// for the writer. Greedy and lenient: each position may be absent, repeat or come out of the
/// standard's order; a group starts at its first segment and takes that segment once per
/// occurrence. When the segments do not all
/// fit the structure (unexpected order, Z segments), the result is `nil` and the writer falls
/// back to segments directly under the root.
struct MessageStructureMatcher {
    /// What to write: open a group element, write segment `index`, close the innermost group.
    enum Step: Equatable {
        case open(String), segment(Int), close
    }

    let ids: [String]
    let structureName: String
    private var position = 0
    private var steps: [Step] = []

    /// The steps for segments `ids` in structure `structure`, or `nil` when they do not fit.
    static func steps(ids: [String], structure: String) -> [Step]? {
        guard let items = HL7XMLDictionary.structures[structure] else { return nil }
        var matcher = MessageStructureMatcher(ids: ids, structureName: structure)
        matcher.match(items)
        return matcher.position == ids.count ? matcher.steps : nil
    }

    private init(ids: [String], structureName: String) {
        self.ids = ids
        self.structureName = structureName
    }

    /// Matches `items` from the current position. Senders do not always keep the standard's
    /// order (AIP before AIL, PV1 before DG1), so the positions are tried again while any of them
    /// still takes a segment; a group's first segment (its anchor) is taken once per occurrence.
    private mutating func match(_ items: [HL7XMLDictionary.StructureItem], anchorOnce: Bool = false) {
        var firstPass = true
        var progress = true
        while progress && position < ids.count {
            progress = false
            for (i, item) in items.enumerated() {
                if anchorOnce && i == 0 && !firstPass { continue }
                if !item.isGroup {
                    while position < ids.count, ids[position] == item.name {
                        steps.append(.segment(position))
                        position += 1
                        progress = true
                        if anchorOnce && i == 0 { break }
                    }
                } else {
                    while position < ids.count, item.firstSegment == ids[position] {
                        steps.append(.open(structureName + "." + item.name))
                        match(item.children, anchorOnce: true)
                        steps.append(.close)
                        progress = true
                    }
                }
            }
            firstPass = false
        }
    }
}
