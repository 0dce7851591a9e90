import Foundation
import HL7
import SwitchboardTestSupport
import Testing

/// Runs the shared conformance corpus (../shared/conformance, read-only third-party data):
/// every ER7 file's canonical tree must equal the expected one, and every hostile input must be
/// answered without a trap. Skips cleanly when the corpus is absent.
@Suite("Conformance corpus")
struct ConformanceTests {
    static let root = SharedConformance.repositoryRoot(testFile: #filePath)
    static let corpus = SharedConformance.directory(repositoryRoot: root)

    /// Files whose expected tree this codec deliberately does not produce, with the reason.
    static let deviations: [String: String] = [:]

    @Test func er7CorpusMatchesExpectedTrees() throws {
        guard let dir = Self.corpus else {
            print(#"{"test":"conformance-er7","skipped":true,"reason":"../shared/conformance not found"}"#)
            return
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/corpus/er7").sorted()
        var passed = 0, failed: [String] = []
        for name in files {
            let stem = (name as NSString).deletingPathExtension
            let expectedPath = dir + "/expected/" + stem + ".json"
            guard FileManager.default.fileExists(atPath: expectedPath), Self.deviations[name] == nil else { continue }
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/corpus/er7/" + name)))
            let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: expectedPath))) as! [String: Any]
            do {
                let batch = try HL7Batch(parsing: bytes)
                let got = try JSONSerialization.jsonObject(with: Data(HL7CanonicalTree.json(batch))) as! [String: Any]
                let same = NSDictionary(dictionary: ["s": got["segments"]!]).isEqual(to: ["s": expected["segments"]!])
                let metaSame = ["message_type", "control_id", "version"].allSatisfy { key in
                    (got[key] as? String) == (expected[key] as? String)
                }
                if same && metaSame { passed += 1 } else { failed.append(name) }
            } catch {
                failed.append("\(name): \(error)")
            }
        }
        #expect(failed.isEmpty, "\(failed)")
        print(#"{"test":"conformance-er7","pass":\#(failed.isEmpty),"passed":\#(passed),"failed":\#(failed.count),"deviations":\#(Self.deviations.count)}"#)
    }

    /// Hostile and malformed ER7 inputs from corpus/bad: none may trap; those whose only
    /// acceptable reaction is a rejection must fail to parse (or fail character validation).
    @Test func badCorpusIsAnsweredNotTrapped() throws {
        guard let dir = Self.corpus else {
            print(#"{"test":"conformance-bad","skipped":true}"#)
            return
        }
        let mustReject: Set<String> = [
            "hapi__messages_03_msh2_three_chars.hl7", "rubyhl7__adt_a01_msh2_three_chars.hl7",
            "rubyhl7__realm-animal-rabies_msh2_no_escape.hl7", "rubyhl7__realm-hepatitis-c-virus_msh2_no_escape.hl7",
            "rubyhl7__realm-batch_mixed_msh2.hl7", "lfh__sample_unix_msh2_doubled_backslash.hl7",
            "pyhl7__sample_bad_batch.hl7", "pyhl7__sample_bad_batch1.hl7", "pyhl7__sample_bad_file1.hl7",
            "hl7apy__missing_encoding_chars_zero_0.hl7", "hl7apy__missing_encoding_chars_zero_1.hl7",
            "hl7apy__too_many_encoding_chars_1.hl7", "syn__no_msh.hl7", "syn__msh_only_id.hl7", "syn__msh2_six_chars.hl7",
            "syn__msh2_duplicate_delims.hl7", "syn__msh2_contains_field_sep_char.hl7", "syn__field_sep_cr.hl7",
            "syn__segment_id_too_short.hl7", "syn__segment_id_empty.hl7", "syn__segment_id_non_ascii.hl7",
            "syn__binary_garbage.bin", "syn__overlong_utf8.hl7", "syn__utf16le_bom.hl7",
            "syn__extremely_long_segment_id_line.hl7",
        ]
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/corpus/bad").sorted()
            .filter { $0.hasSuffix(".hl7") || $0.hasSuffix(".bin") }
        var rejected = 0, accepted = 0, wrong: [String] = []
        for name in files {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/corpus/bad/" + name)))
            _ = HL7HeaderPeek.peek(bytes)
            var ok = true
            do {
                let batch = try HL7Batch(parsing: bytes)
                for m in batch.messages { try m.validateCharacterEncoding() }
                _ = HL7CanonicalTree.json(batch)
            } catch {
                ok = false
            }
            if ok { accepted += 1 } else { rejected += 1 }
            if ok && mustReject.contains(name) { wrong.append(name) }
        }
        #expect(wrong.isEmpty, "accepted but must be rejected: \(wrong)")
        print(#"{"test":"conformance-bad","pass":\#(wrong.isEmpty),"files":\#(files.count),"rejected":\#(rejected),"accepted":\#(accepted)}"#)
    }
}
