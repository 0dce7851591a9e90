/// A growable buffer of plain values with no copy-on-write and no uniqueness checks: the
/// storage of ``HL7MessageBuilder``, which appends a few hundred small pieces per message and
/// is reused across messages (its capacity is kept).
@usableFromInline
struct GrowableBuffer<Element: BitwiseCopyable>: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<Element>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    @inlinable
    deinit { base.deallocate() }

    /// The elements written so far.
    @inlinable
    var elements: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    @inlinable
    subscript(i: Int) -> Element {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }

    @inlinable
    mutating func append(_ element: Element) {
        if count == capacity { grow(to: count + 1) }
        base[count] = element
        count += 1
    }

    @inlinable
    mutating func append(_ source: UnsafePointer<Element>, count n: Int) {
        if count + n > capacity { grow(to: count + n) }
        (base + count).update(from: source, count: n)
        count += n
    }

    @inlinable
    mutating func append(repeating element: Element, count n: Int) {
        guard n > 0 else { return }
        if count + n > capacity { grow(to: count + n) }
        (base + count).update(repeating: element, count: n)
        count += n
    }

    @usableFromInline
    mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// An array with a copy of the elements (one allocation of exactly `count` elements).
    func array() -> [Element] {
        Array(elements)
    }
}
