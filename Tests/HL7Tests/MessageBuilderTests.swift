import HL7
import SwitchboardTestSupport
import Testing

/// `HL7MessageBuilder`: the index it records while writing is the one the scanner finds, and
/// values may hold line breaks, which every ER7 rendering escapes.
@Suite("Message builder")
struct MessageBuilderTests {
    /// Writes `message` again through a builder, field by field from its raw bytes.
    static func rebuilt(_ message: HL7Message) throws -> HL7Message {
        var builder = try HL7MessageBuilder(delimiters: message.delimiters)
        for segment in message.segments {
            try builder.beginSegment(Array(segment.id.utf8))
            let first = segment.isHeader ? 3 : 1
            if segment.fieldCount >= first {
                for n in first...segment.fieldCount {
                    builder.appendFieldSeparator()
                    segment.field(n).rawBytes.withUnsafeBufferPointer { builder.append($0) }
                }
            }
            builder.endSegment()
        }
        return try builder.message(options: message.options)
    }

    /// Every field's byte range, segment by segment.
    static func layout(_ message: HL7Message) -> [[Range<Int>]] {
        message.segments.map { segment in
            segment.fieldCount == 0 ? [] : (1...segment.fieldCount).map { segment.field($0).byteRange }
        }
    }

    @Test func indexEqualsTheScannersOnRandomMessages() throws {
        var rng = SeededGenerator(seed: 2026)
        for _ in 0..<500 {
            let generated = RoundTripPropertyTests.generate(&rng)
            guard let parsed = try? HL7Message(parsing: generated.normalized) else { continue }
            let built = try Self.rebuilt(parsed)
            // Same bytes as the normalized input (no final CR), and the same index over them.
            #expect(built.bytes + [13] == parsed.serialized(normalizingTerminators: true))
            let rescanned = try HL7Message(parsing: built.bytes)
            #expect(Self.layout(built) == Self.layout(rescanned))
            #expect(HL7CanonicalTree.json(HL7Batch(built)) == HL7CanonicalTree.json(try HL7Batch(parsing: built.bytes)))
            #expect(built.serialized() == built.bytes)
        }
    }

    @Test func indexEqualsTheScannersOnTheSyntheticCorpus() throws {
        for bytes in SyntheticMessages.mixedCorpus(count: 60, seed: 9) {
            let parsed = try HL7Message(parsing: bytes)
            let built = try Self.rebuilt(parsed)
            #expect(Self.layout(built) == Self.layout(try HL7Message(parsing: built.bytes)))
            #expect(built.header == parsed.header)
        }
    }

    /// MSH plus `PID|1|<value>`, written with a builder.
    static func message(pid2 value: String, msh10: String = "C1") throws -> HL7Message {
        var builder = try HL7MessageBuilder()
        try builder.beginSegment("MSH".utf8)
        for field in ["A", "B", "C", "D", "20260101", "", "ADT^A01", msh10, "P", "2.5.1"] {
            builder.appendFieldSeparator()
            Array(field.utf8).withUnsafeBufferPointer { builder.append($0) }
        }
        try builder.beginSegment("PID".utf8)
        builder.appendFieldSeparator()
        builder.append(0x31)
        builder.appendFieldSeparator()
        Array(value.utf8).withUnsafeBufferPointer { builder.append($0) }
        builder.endSegment()
        return try builder.message()
    }

    @Test func valuesKeepLineBreaksAndER7EscapesThem() throws {
        let message = try Self.message(pid2: "one\ntwo\r\nthree^x")
        let pid = try #require(message.segment("PID"))
        #expect(message.segmentCount == 2)
        #expect(pid[2].rawText == "one\ntwo\r\nthree^x")
        #expect(pid[2].component(1).rawText == "one\ntwo\r\nthree")
        #expect(pid[2].component(1).text == "one\ntwo\r\nthree")
        let wire = #"PID|1|one\X0A\two\X0D\\X0A\three^x"#
        #expect(String(decoding: pid.rawBytes, as: UTF8.self) == wire)
        let serialized = message.serialized()
        #expect(String(decoding: serialized, as: UTF8.self).hasSuffix("\r" + wire))
        #expect(message.serialized(normalizingTerminators: true) == serialized + [13])
        // The ER7 form reads back as two segments with the same decoded text.
        let reparsed = try HL7Message(parsing: serialized)
        #expect(reparsed.segmentCount == 2)
        #expect(reparsed["PID-2.1"].text == "one\ntwo\r\nthree")
        // The canonical tree keeps the line breaks as they are.
        let tree = String(decoding: HL7CanonicalTree.json(HL7Batch(message)), as: UTF8.self)
        #expect(tree.contains(#"[["one\ntwo\r\nthree"],["x"]]"#))
    }

    @Test func headerAndEditsUseTheER7Form() throws {
        var message = try Self.message(pid2: "a\nb", msh10: "ID\n1")
        #expect(message.header.controlID == "ID\n1")
        #expect(message.header.rawControlID == Array(#"ID\X0A\1"#.utf8))
        try message.set("PID-3", to: "M1")
        #expect(message.segmentCount == 2)
        #expect(message["PID-2"].text == "a\nb")
        #expect(message["PID-2"].rawText == #"a\X0A\b"#)
        #expect(message["PID-3"].text == "M1")
        try message.appendSegment("NTE", fields: ["1"])
        #expect(message.segments.map(\.id) == ["MSH", "PID", "NTE"])
    }

    @Test func refusesWhatIsNotAMessage() throws {
        #expect(throws: HL7ParseError.self) {
            _ = try HL7MessageBuilder(delimiters: HL7Delimiters(field: 0x7C, component: 0x7C, repetition: 0x7E, escape: 0x5C, subcomponent: 0x26))
        }
        var builder = try HL7MessageBuilder()
        do {
            try builder.beginSegment("pid".utf8)
            Issue.record("accepted a lower-case segment id")
        } catch {
            #expect(error.code == .invalidSegmentID)
        }
        #expect(throws: HL7ParseError.self) { _ = try builder.message() }
        try builder.beginSegment("PID".utf8)
        do {
            _ = try builder.message()
            Issue.record("accepted a message without MSH")
        } catch {
            #expect(error.code == .segmentSequence)
        }
        try builder.reset(delimiters: .standard)
        try builder.beginSegment("MSH".utf8)
        try builder.beginSegment("MSH".utf8)
        do {
            _ = try builder.message()
            Issue.record("accepted two MSH")
        } catch {
            #expect(error.code == .multipleMessages)
        }
    }

    @Test func reencodesUTF8InTheDeclaredSetKeepingTheIndex() throws {
        var builder = try HL7MessageBuilder()
        try builder.beginSegment("MSH".utf8)
        for field in ["A", "", "", "", "", "", "ADT^A01", "C1", "P", "2.5", "", "", "", "", "", "8859/1"] {
            builder.appendFieldSeparator()
            Array(field.utf8).withUnsafeBufferPointer { builder.append($0) }
        }
        try builder.beginSegment("PID".utf8)
        for field in ["1", "", "M1", "", "ÉLODIE^Zoë", "ß"] {
            builder.appendFieldSeparator()
            Array(field.utf8).withUnsafeBufferPointer { builder.append($0) }
        }
        let reencoded = builder.reencode(in: .iso8859(part: 1))
        #expect(reencoded)
        let message = try builder.message()
        #expect(message.characterSet == .iso8859(part: 1))
        #expect(message.bytes.contains(0xC9) && !message.bytes.contains(0xC3))
        #expect(message["PID-5.1"].text == "ÉLODIE")
        #expect(message["PID-5.2"].text == "Zoë")
        #expect(message["PID-6"].text == "ß")
        #expect(Self.layout(message) == Self.layout(try HL7Message(parsing: message.bytes)))

        // A character the set cannot hold: nothing changes.
        try builder.reset(delimiters: .standard)
        try builder.beginSegment("MSH".utf8)
        builder.appendFieldSeparator()
        Array("Ω".utf8).withUnsafeBufferPointer { builder.append($0) }
        let before = try builder.message().bytes
        let refused = !builder.reencode(in: .iso8859(part: 1))
        #expect(refused)
        let after = try builder.message().bytes
        #expect(after == before)
    }
}
