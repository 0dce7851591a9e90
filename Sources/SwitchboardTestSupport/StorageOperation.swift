// The vocabulary shared by the journal's test storages: which file-system operation is about to
// happen, so a test can fail it or crash at it.

/// A kind of storage operation that a test can target.
package enum StorageOperationKind: String, Sendable, Hashable, CaseIterable {
    case open, write, sync, truncate, rename, remove, syncDirectory, createDirectory, lock
}

/// One storage operation about to be performed.
package struct StorageOperation: Sendable, Hashable, CustomStringConvertible {
    package var kind: StorageOperationKind
    /// The file (for `rename`, the source).
    package var path: String
    /// For `rename`, the destination.
    package var destination: String?
    /// For `open`: whether the call may create the file.
    package var creates: Bool = false

    package init(kind: StorageOperationKind, path: String, destination: String? = nil, creates: Bool = false) {
        self.kind = kind
        self.path = path
        self.destination = destination
        self.creates = creates
    }

    /// The last path component.
    package var fileName: String { String(path.split(separator: "/").last ?? "") }

    package var description: String {
        "\(kind.rawValue) \(fileName)" + (destination.map { " -> \($0.split(separator: "/").last ?? "")" } ?? "")
    }
}

extension SeededGenerator {
    /// `count` random bytes.
    package mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(count)
        while result.count < count {
            var word = next()
            for _ in 0..<min(8, count - result.count) {
                result.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return result
    }
}
