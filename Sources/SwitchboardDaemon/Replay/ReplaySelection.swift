// Which messages of an archive to replay, and in what order (`--type`, `--since`, `--until`,
// `--sender`, `--control-id`, `--limit`, `--order`).
import HL7
import HL7XML

/// A filter over replay items, by their MSH header.
public struct ReplaySelection: Sendable {
    public enum Order: String, Sendable, CaseIterable {
        /// As the archives list them (default).
        case file
        /// By MSH-7 (stable: equal times keep file order; messages without a readable MSH-7 last).
        case msh7
    }

    /// MSH-9 pattern (`*` matches any text; `ADT^A01` also matches `ADT^A01^ADT_A01`).
    public var type: String?
    /// MSH-7 bounds, seconds since the epoch: `since <= MSH-7 < until`.
    public var since: Int64?
    public var until: Int64?
    /// `APP` (MSH-3) or `APP^FACILITY` (MSH-3 and MSH-4).
    public var sender: String?
    /// Only these MSH-10 values.
    public var controlIDs: Set<String> = []
    public var limit: Int?
    public var order: Order = .file

    public init() {}

    /// The selected items, in the chosen order, at most `limit`.
    public func apply(to items: [ReplayItem]) -> [ReplayItem] {
        let needsHeader = type != nil || since != nil || until != nil || sender != nil || !controlIDs.isEmpty || order == .msh7
        guard needsHeader else { return limit.map { Array(items.prefix($0)) } ?? items }
        var selected: [(item: ReplayItem, time: Double?)] = []
        for item in items {
            let header = Self.header(of: item)
            let time = header.flatMap { HL7Timestamp($0.dateTime)?.secondsSince1970() }
            if let type, !TypePattern.matches(type, header?.messageType ?? "") { continue }
            if let since, (time ?? -.infinity) < Double(since) { continue }
            if let until, (time ?? .infinity) >= Double(until) { continue }
            if let sender {
                let parts = sender.split(separator: "^", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                guard let header, header.sendingApplication == parts[0], parts.count == 1 || header.sendingFacility == parts[1] else { continue }
            }
            if !controlIDs.isEmpty, !controlIDs.contains(header?.controlID ?? "") { continue }
            selected.append((item, time))
        }
        if order == .msh7 {
            selected = selected.enumerated().sorted { a, b in
                switch (a.element.time, b.element.time) {
                case let (x?, y?): x != y ? x < y : a.offset < b.offset
                case (.some, nil): true
                case (nil, .some): false
                case (nil, nil): a.offset < b.offset
                }
            }.map(\.element)
        }
        let items = selected.map(\.item)
        return limit.map { Array(items.prefix($0)) } ?? items
    }

    /// The header of an ER7 or XML message (nil when it has none that reads).
    static func header(of item: ReplayItem) -> HL7Header? {
        if HL7XMLReader.looksLikeXML(item.bytes) { return try? HL7XMLReader.message(item.bytes).header }
        return HL7HeaderPeek.peek(item.bytes)
    }
}

/// `ADT^A0*` against `ADT^A01^ADT_A01`: `*` matches any text, and a pattern also matches a type
/// that continues after it with more components (`ADT^A01` matches `ADT^A01^ADT_A01`).
public enum TypePattern {
    public static func matches(_ pattern: String, _ type: String) -> Bool {
        wildcard(Array(pattern.utf8), Array(type.utf8)) || wildcard(Array((pattern + "^*").utf8), Array(type.utf8))
    }

    /// Glob matching with `*` only (iterative, linear backtracking).
    static func wildcard(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var p = 0, t = 0
        var star: Int?, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                mark = t
                p += 1
            } else if p < pattern.count, pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let star {
                p = star + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
