// The audit trail: append-only, stored in fixed-size chunks so that appending while a snapshot
// holds a copy copies one chunk, not the whole history.

/// Every change to the caseload, in journal order.
public struct AuditTrail: RandomAccessCollection, Sendable, Equatable {
    static let chunkShift = 12
    static var chunkSize: Int { 1 << chunkShift }

    private var chunks: [[AuditEntry]] = []
    public private(set) var count = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> AuditEntry {
        precondition(position >= 0 && position < count, "audit index \(position) out of range 0..<\(count)")
        return chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)]
    }

    public mutating func append(_ entry: AuditEntry) {
        if count & (Self.chunkSize - 1) == 0 {
            var chunk: [AuditEntry] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(entry)
        count += 1
    }

    public mutating func reserveCapacity(_ capacity: Int) {
        chunks.reserveCapacity(capacity >> Self.chunkShift + 1)
    }
}
