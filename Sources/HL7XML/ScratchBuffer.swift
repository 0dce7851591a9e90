/// A growable buffer of plain values with no copy-on-write and no uniqueness checks: the
/// mapper's per-segment scratch space (leaf text, cells, repetition counts), which a pooled
/// parser session keeps from document to document (capacity is reused, not reallocated).
struct ScratchBuffer<Element: BitwiseCopyable>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>
    /// The number of elements in use.
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The elements in use.
    var elements: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    /// Elements `range` (which must lie within the elements in use).
    func elements(_ range: Range<Int>) -> UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    subscript(i: Int) -> Element {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }

    @inline(__always)
    mutating func append(_ element: Element) {
        if count == capacity { grow(to: count + 1) }
        base[count] = element
        count += 1
    }

    @inline(__always)
    mutating func append(_ source: UnsafeBufferPointer<Element>) {
        guard let start = source.baseAddress else { return }
        if count + source.count > capacity { grow(to: count + source.count) }
        (base + count).update(from: start, count: source.count)
        count += source.count
    }

    /// Drops the elements from `n` on.
    mutating func truncate(to n: Int) {
        precondition(n >= 0 && n <= count, "ScratchBuffer truncated past its end")
        count = n
    }

    /// Makes `n` elements available, filling new ones with `filler`.
    mutating func resize(to n: Int, filling filler: Element) {
        if n > capacity { grow(to: n) }
        if n > count { (base + count).update(repeating: filler, count: n - count) }
        count = n
    }

    mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }
}
