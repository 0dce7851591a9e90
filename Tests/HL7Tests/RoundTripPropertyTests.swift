import HL7
import SwitchboardTestSupport
import Testing

/// Property tests: random well-formed ER7 (random delimiters, terminators, structure) parses to
/// the structure it was built from and serializes back byte for byte.
@Suite("Round-trip properties")
struct RoundTripPropertyTests {
    typealias Tree = [[[[String]]]] // fields → repetitions → components → subcomponents

    struct Generated {
        var bytes: [UInt8]
        var normalized: [UInt8]
        var segments: [(id: String, fields: Tree)]
        var delimiters: HL7Delimiters
    }

    static func generate(_ rng: inout SeededGenerator) -> Generated {
        let punctuation = Array("|^~\\&#$%*!@+=:;,?/".utf8)
        var chosen = punctuation.shuffled(using: &rng).prefix(6).map { $0 }
        let truncation: UInt8? = Bool.random(using: &rng) ? chosen.removeLast() : nil
        let d = HL7Delimiters(field: chosen[0], component: chosen[1], repetition: chosen[2], escape: chosen[3],
                              subcomponent: chosen[4], truncation: truncation)
        let forbidden = Set([d.field, d.component, d.repetition, d.subcomponent, 13, 10])
        let alphabet = (Array("ABCxyz019 .-_'\"".utf8) + punctuation + [0xC3, 0xA9]).filter { !forbidden.contains($0) }
        func leaf() -> String {
            let n = Int.random(in: 0...6, using: &rng)
            let bytes = (0..<n).map { _ in alphabet.randomElement(using: &rng)! }
            return String(decoding: bytes, as: UTF8.self)
        }
        var segments: [(String, Tree)] = []
        var mshFields: Tree = [[[[leaf()]]], [[[leaf()]]]]
        for _ in 0..<Int.random(in: 0...10, using: &rng) { mshFields.append([[[leaf()]]]) }
        segments.append(("MSH", mshFields))
        let ids = ["PID", "PV1", "OBX", "NTE", "ZX1", "AL1"]
        for _ in 0..<Int.random(in: 0...8, using: &rng) {
            var fields: Tree = []
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                fields.append((0..<Int.random(in: 1...3, using: &rng)).map { _ in
                    (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                        (0..<Int.random(in: 1...3, using: &rng)).map { _ in leaf() }
                    }
                })
            }
            segments.append((ids.randomElement(using: &rng)!, fields))
        }
        func render(_ id: String, _ fields: Tree) -> [UInt8] {
            var out = Array(id.utf8)
            if id == "MSH" {
                out.append(d.field)
                out += d.encodingCharacters
                for f in fields { out.append(d.field); out += Array(f[0][0][0].utf8) }
                return out
            }
            for f in fields {
                out.append(d.field)
                let text = f.map { rep in rep.map { $0.joined(separator: String(UnicodeScalar(d.subcomponent))) }
                    .joined(separator: String(UnicodeScalar(d.component))) }
                    .joined(separator: String(UnicodeScalar(d.repetition)))
                out += Array(text.utf8)
            }
            return out
        }
        let terminators: [[UInt8]] = [[13], [10], [13, 10]]
        var bytes: [UInt8] = Bool.random(using: &rng) ? [0xEF, 0xBB, 0xBF] : []
        var normalized: [UInt8] = []
        for (k, (id, fields)) in segments.enumerated() {
            let seg = render(id, fields)
            bytes += seg
            normalized += seg + [13]
            if k < segments.count - 1 || Bool.random(using: &rng) {
                bytes += terminators.randomElement(using: &rng)!
                if Int.random(in: 0..<5, using: &rng) == 0 { bytes += terminators.randomElement(using: &rng)! }
            }
        }
        return Generated(bytes: bytes, normalized: normalized, segments: segments, delimiters: d)
    }

    @Test func parseSerializeIsIdentity() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SeededGenerator(seed: seed)
        var checked = 0
        for _ in 0..<2_000 {
            let g = Self.generate(&rng)
            let m = try HL7Message(parsing: g.bytes)
            #expect(m.serialized() == g.bytes, "seed \(seed)")
            #expect(m.serialized(normalizingTerminators: true) == g.normalized, "seed \(seed)")
            #expect(m.delimiters == g.delimiters, "seed \(seed)")
            #expect(m.segmentCount == g.segments.count, "seed \(seed)")
            for (k, expected) in g.segments.enumerated() where k > 0 {
                let seg = m.segments[k]
                #expect(seg.id == expected.id)
                #expect(seg.fieldCount == expected.fields.count, "seed \(seed)")
                for (f, field) in expected.fields.enumerated() {
                    let actual = seg[f + 1].children.map { $0.children.map { $0.children.map(\.rawText) } }
                    #expect(actual == field, "seed \(seed) segment \(k) field \(f + 1)")
                }
            }
            checked += 1
        }
        print(#"{"test":"er7-roundtrip","pass":true,"messages":\#(checked),"seed":\#(seed)}"#)
    }

    @Test func mutatedInputNeverTraps() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SeededGenerator(seed: seed)
        var parsed = 0, rejected = 0
        let interesting: [UInt8] = [13, 10, UInt8(ascii: "|"), UInt8(ascii: "^"), UInt8(ascii: "\\"), 0, 0xFF, 0xC0, UInt8(ascii: "M")]
        for _ in 0..<3_000 {
            var bytes = Self.generate(&rng).bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[at] = interesting.randomElement(using: &rng)!
                case 1: bytes.insert(interesting.randomElement(using: &rng)!, at: at)
                default: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &rng)))
                }
            }
            _ = HL7HeaderPeek.peek(bytes)
            do {
                let m = try HL7Batch(parsing: bytes)
                for message in m.messages {
                    for seg in message.segments { for f in seg.fields { _ = f.text; _ = f.children.map(\.formattedText) } }
                    _ = HL7Acknowledgment.build(for: message.header, outcome: .accepted, controlID: "X", timestamp: HL7Timestamp(year: 2026))
                }
                parsed += 1
            } catch {
                #expect(error.byteOffset >= 0 && error.byteOffset <= bytes.count, "seed \(seed)")
                rejected += 1
            }
        }
        print(#"{"test":"er7-mutation","pass":true,"parsed":\#(parsed),"rejected":\#(rejected),"seed":\#(seed)}"#)
    }

    @Test func syntheticCorpusParses() throws {
        for bytes in SyntheticMessages.mixedCorpus(count: 100, seed: 7) {
            let m = try HL7Message(parsing: bytes)
            #expect(m["PID-5.1"].nonEmptyText != nil)
            #expect(m.serialized() == bytes)
        }
    }
}
