// The caseload's tables: string-keyed dictionaries split into shards, so that no single change
// ever copies or rehashes a whole table.
//
// Why: the caseload is a value (copy-on-write). A snapshot holds a copy while it is written;
// the next change to a plain 1,000,000-entry dictionary would copy all of it under the
// caseload lock (hundreds of milliseconds, measured by caseload-bench), and a dictionary that
// outgrows its capacity rehashes everything at once. With 64 shards each such copy or rehash
// is a 64th of the table.

/// A `[String: Value]` split into 64 shards by a hash of the key.
public struct ShardedTable<Value>: Sequence {
    @usableFromInline static var shardCount: Int { 64 }

    @usableFromInline var shards: [[String: Value]]

    @inlinable
    public init() {
        shards = Array(repeating: [:], count: Self.shardCount)
    }

    /// Room for `count` entries in all, spread over the shards.
    @inlinable
    public mutating func reserveCapacity(_ count: Int) {
        let each = count / Self.shardCount + count / (Self.shardCount * 8) + 1
        for index in shards.indices { shards[index].reserveCapacity(each) }
    }

    /// FNV-1a over the key's UTF-8: stable and cheap (the dictionary hashes again inside).
    @inlinable @inline(__always)
    static func shard(of key: String) -> Int {
        var hash: UInt32 = 0x811C_9DC5
        for byte in key.utf8 {
            hash ^= UInt32(byte)
            hash &*= 0x0100_0193
        }
        return Int(hash & UInt32(shardCount - 1))
    }

    @inlinable
    public subscript(key: String) -> Value? {
        get { shards[Self.shard(of: key)][key] }
        set { shards[Self.shard(of: key)][key] = newValue }
    }

    @inlinable
    public subscript(key: String, default defaultValue: @autoclosure () -> Value) -> Value {
        get { shards[Self.shard(of: key)][key, default: defaultValue()] }
        _modify { yield &shards[Self.shard(of: key)][key, default: defaultValue()] }
    }

    /// Sets `value` for `key`; returns the value it replaced.
    @inlinable @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: String) -> Value? {
        shards[Self.shard(of: key)].updateValue(value, forKey: key)
    }

    @inlinable @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        shards[Self.shard(of: key)].removeValue(forKey: key)
    }

    /// Entries in all shards (sums 64 counts).
    @inlinable
    public var count: Int { shards.reduce(0) { $0 + $1.count } }
    @inlinable
    public var isEmpty: Bool { shards.allSatisfy(\.isEmpty) }

    /// Every key, in no particular order.
    @inlinable
    public var keys: [String] { shards.flatMap(\.keys) }

    /// Every value, in no particular order (lazily: filtering does not copy the table).
    @inlinable
    public var values: FlattenSequence<LazyMapSequence<[[String: Value]], Dictionary<String, Value>.Values>> {
        shards.lazy.map(\.values).joined()
    }

    @inlinable
    public func makeIterator() -> FlattenSequence<[[String: Value]]>.Iterator {
        shards.joined().makeIterator()
    }
}

extension ShardedTable: Sendable where Value: Sendable {}

extension ShardedTable: Equatable where Value: Equatable {
    /// Equal when they hold the same entries (shards are a function of the key).
    @inlinable
    public static func == (a: Self, b: Self) -> Bool { a.shards == b.shards }
}
