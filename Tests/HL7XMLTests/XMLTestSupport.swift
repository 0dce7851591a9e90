import Foundation
import HL7
import HL7XML
import SwitchboardTestSupport

/// Helpers for the HL7XML tests: the shared corpus, canonical trees as Swift values, and the
/// "trailing empties dropped" normalisation of check.py --lenient-trailing.
enum XMLTestSupport {
    static let root = SharedConformance.repositoryRoot(testFile: #filePath)
    static let corpus = SharedConformance.directory(repositoryRoot: root)

    typealias Field = [[[String]]]
    struct Segment: Equatable, CustomStringConvertible {
        var id: String
        var fields: [Field]
        var description: String { "\(id) \(fields)" }
    }

    static func files(_ sub: String, suffix: String) -> [String] {
        guard let dir = corpus, let names = try? FileManager.default.contentsOfDirectory(atPath: dir + "/" + sub) else { return [] }
        return names.filter { $0.hasSuffix(suffix) }.sorted().map { dir + "/" + sub + "/" + $0 }
    }

    static func read(_ path: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }

    /// The canonical tree of some segments (MSH-1/MSH-2 raw, escapes as on the wire).
    static func tree(_ segments: HL7SegmentList) -> [Segment] {
        segments.map { segment in
            var fields: [Field] = []
            for n in stride(from: 1, through: segment.fieldCount, by: 1) {
                let field = segment.field(n)
                if segment.isHeader && n <= 2 {
                    fields.append([[[field.rawText]]])
                } else {
                    fields.append(field.children.map { $0.children.map { $0.children.map(\.rawText) } })
                }
            }
            return Segment(id: segment.id, fields: fields)
        }
    }

    /// Drops trailing empty subcomponents, components, repetitions and fields (XML cannot
    /// express them).
    static func normalized(_ tree: [Segment]) -> [Segment] {
        func trim<T>(_ list: [T], keepOne: Bool, isEmpty: (T) -> Bool) -> [T] {
            var l = list
            while l.count > (keepOne ? 1 : 0), let last = l.last, isEmpty(last) { l.removeLast() }
            return l
        }
        return tree.map { segment in
            var fields = segment.fields.map { field in
                trim(field.map { rep in
                    trim(rep.map { comp in trim(comp, keepOne: true) { $0.isEmpty } }, keepOne: true) { $0 == [""] }
                }, keepOne: true) { $0 == [[""]] }
            }
            fields = trim(fields, keepOne: false) { $0 == [[[""]]] }
            return Segment(id: segment.id, fields: fields)
        }
    }
}
