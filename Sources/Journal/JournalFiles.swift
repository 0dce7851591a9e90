// Names of the files in a journal directory. Segment and snapshot names carry a zero-padded,
// 20-digit decimal sequence number so that a plain byte-wise sort is the sequence order:
//
//   segment-00000000000000000001.log     first record in the file is seq 1
//   snapshot-00000000000000004096.snap   snapshot covering records 1...4096
//   snapshot-00000000000000004096.snap.tmp   being written; removed at open
//   LOCK                                 flock(2) held by the single writer; holds its pid
//   torn-<segment>-at-<offset>.bin       bytes that `journal repair` cut off, kept aside

/// The kinds of file in a journal directory, parsed from and rendered to names.
package enum JournalFileName: Hashable, Sendable {
    case segment(firstSequence: UInt64)
    case snapshot(sequence: UInt64)
    case snapshotTemporary(sequence: UInt64)

    package static let lockFile = "LOCK"

    package var name: String {
        switch self {
        case .segment(let seq): "segment-\(padded(seq)).log"
        case .snapshot(let seq): "snapshot-\(padded(seq)).snap"
        case .snapshotTemporary(let seq): "snapshot-\(padded(seq)).snap.tmp"
        }
    }

    package init?(parsing name: String) {
        if let seq = parseNumber(name, prefix: "segment-", suffix: ".log") {
            self = .segment(firstSequence: seq)
        } else if let seq = parseNumber(name, prefix: "snapshot-", suffix: ".snap") {
            self = .snapshot(sequence: seq)
        } else if let seq = parseNumber(name, prefix: "snapshot-", suffix: ".snap.tmp") {
            self = .snapshotTemporary(sequence: seq)
        } else {
            return nil
        }
    }
}

/// The journal files found in one directory, sorted by sequence.
package struct JournalDirectoryListing: Sendable {
    /// First sequence of each segment, ascending.
    package var segments: [UInt64] = []
    /// Sequence covered by each snapshot, descending (newest first).
    package var snapshots: [UInt64] = []
    /// Leftover temporary snapshot files.
    package var temporaries: [String] = []

    package init(names: [String]) {
        for name in names {
            switch JournalFileName(parsing: name) {
            case .segment(let seq): segments.append(seq)
            case .snapshot(let seq): snapshots.append(seq)
            case .snapshotTemporary: temporaries.append(name)
            case nil: break
            }
        }
        segments.sort()
        snapshots.sort(by: >)
        temporaries.sort()
    }
}

/// Joins a directory and a file name.
package func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

private func padded(_ value: UInt64) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
}

private func parseNumber(_ name: String, prefix: String, suffix: String) -> UInt64? {
    guard name.hasPrefix(prefix), name.hasSuffix(suffix),
        name.utf8.count == prefix.utf8.count + 20 + suffix.utf8.count
    else { return nil }
    let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
    guard digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
    return UInt64(digits)
}
