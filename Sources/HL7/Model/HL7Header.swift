/// The MSH fields a router, an ACK builder and a log line need, decoded.
///
/// Built from the first line alone, so it can be read even when the rest of a message does
/// not parse (see ``HL7HeaderPeek``).
public struct HL7Header: Hashable, Sendable {
    /// The delimiters the header declares (or the standard ones, when they could not be read).
    public var delimiters: HL7Delimiters
    /// MSH-2 exactly as written.
    public var encodingCharacters: String
    /// MSH-3, whole (HD: namespace^universal id^type), escapes decoded per component.
    public var sendingApplication: String
    /// MSH-4, whole.
    public var sendingFacility: String
    /// MSH-5, whole.
    public var receivingApplication: String
    /// MSH-6, whole.
    public var receivingFacility: String
    /// MSH-7 as written.
    public var dateTime: String
    /// MSH-9.1, e.g. `ADT`.
    public var messageCode: String
    /// MSH-9.2, e.g. `A01`.
    public var triggerEvent: String
    /// MSH-9.3, e.g. `ADT_A01`.
    public var messageStructure: String
    /// MSH-10.
    public var controlID: String
    /// MSH-11.1 (`P`, `T`, `D`).
    public var processingID: String
    /// MSH-12.1, e.g. `2.5.1`.
    public var version: String
    /// MSH-15 (`AL`, `NE`, `ER`, `SU`; empty in original mode).
    public var acceptAcknowledgmentType: String
    /// MSH-16.
    public var applicationAcknowledgmentType: String
    /// MSH-18, first repetition.
    public var characterSetName: String
    /// MSH-3…MSH-6 and MSH-10 exactly as on the wire (escapes kept), for ACKs that must
    /// mirror and echo them byte for byte in the same delimiters.
    public var rawSendingApplication: [UInt8]
    public var rawSendingFacility: [UInt8]
    public var rawReceivingApplication: [UInt8]
    public var rawReceivingFacility: [UInt8]
    public var rawControlID: [UInt8]

    /// MSH-9 as `CODE^EVENT[^STRUCTURE]` with `^` whatever the message's delimiters.
    public var messageType: String {
        var s = messageCode
        if !triggerEvent.isEmpty || !messageStructure.isEmpty { s += "^" + triggerEvent }
        if !messageStructure.isEmpty { s += "^" + messageStructure }
        return s
    }

    /// True when MSH-15 or MSH-16 asks for enhanced acknowledgement mode.
    public var usesEnhancedAcknowledgment: Bool {
        !acceptAcknowledgmentType.isEmpty || !applicationAcknowledgmentType.isEmpty
    }

    /// The declared character set, if known.
    public var characterSet: HL7CharacterSet? { HL7CharacterSet(hl7Name: characterSetName) }

    /// The version as numbers (`2.5.1` → [2, 5, 1]); empty when it is not a dotted number.
    public var versionNumbers: [Int] {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        return parts.contains(nil) ? [] : parts.map { $0! }
    }

    /// Reads the header from the bytes of one MSH line (no terminator).
    init(line: UnsafeBufferPointer<UInt8>, delimiters d: HL7Delimiters, fallback: HL7CharacterSet.Fallback) {
        delimiters = d
        // Field ranges by position; element 0 is "MSH", element k is MSH-(k+1).
        var elements: [Range<Int>] = []
        elements.reserveCapacity(20)
        var start = 0
        var i = 0
        while i < line.count, elements.count < 20 {
            if line[i] == d.field {
                elements.append(start..<i)
                start = i + 1
            }
            i += 1
        }
        if elements.count < 20 { elements.append(start..<line.count) }
        let charset = { () -> HL7CharacterSet? in
            guard elements.count > 17 else { return nil }
            let r = elements[17]
            var e = r.lowerBound
            while e < r.upperBound, line[e] != d.repetition, line[e] != d.component { e += 1 }
            return HL7CharacterSet(hl7Name: String(decoding: UnsafeBufferPointer(rebasing: line[r.lowerBound..<e]), as: UTF8.self))
        }()
        func field(_ n: Int) -> Range<Int> {
            n - 1 < elements.count ? elements[n - 1] : line.count..<line.count
        }
        /// The range of component `c` (1-based) of the first repetition of `range`.
        func component(_ range: Range<Int>, _ c: Int) -> Range<Int> {
            var k = 1
            var s = range.lowerBound
            var j = range.lowerBound
            while j < range.upperBound, line[j] != d.repetition {
                if line[j] == d.component {
                    if k == c { return s..<j }
                    k += 1
                    s = j + 1
                }
                j += 1
            }
            return k == c ? s..<j : j..<j
        }
        func text(_ range: Range<Int>) -> String {
            HL7Escaping.decodePlain(UnsafeBufferPointer(rebasing: line[range]), delimiters: d,
                                    characterSet: charset, fallback: fallback)
        }
        /// A composite field's first repetition with its components decoded and rejoined with
        /// `^` (subcomponents kept as written). One pass over the field.
        func whole(_ n: Int) -> String {
            let r = field(n)
            var out = ""
            var start = r.lowerBound
            var j = r.lowerBound
            while j <= r.upperBound {
                if j == r.upperBound || line[j] == d.component || line[j] == d.repetition {
                    if start > r.lowerBound { out += "^" }
                    out += text(start..<j)
                    if j == r.upperBound || line[j] == d.repetition { break }
                    start = j + 1
                }
                j += 1
            }
            return out
        }
        rawSendingApplication = Array(line[field(3)])
        rawSendingFacility = Array(line[field(4)])
        rawReceivingApplication = Array(line[field(5)])
        rawReceivingFacility = Array(line[field(6)])
        rawControlID = Array(line[field(10)])
        encodingCharacters = String(decoding: UnsafeBufferPointer(rebasing: line[field(2)]), as: UTF8.self)
        sendingApplication = whole(3)
        sendingFacility = whole(4)
        receivingApplication = whole(5)
        receivingFacility = whole(6)
        dateTime = text(component(field(7), 1))
        messageCode = text(component(field(9), 1))
        triggerEvent = text(component(field(9), 2))
        messageStructure = text(component(field(9), 3))
        controlID = text(component(field(10), 1))
        processingID = text(component(field(11), 1))
        version = text(component(field(12), 1))
        acceptAcknowledgmentType = text(component(field(15), 1))
        applicationAcknowledgmentType = text(component(field(16), 1))
        characterSetName = text(component(field(18), 1))
    }
}
