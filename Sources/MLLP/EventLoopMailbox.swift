// Answers come back from the journal's thread in bursts (a group commit completes many
// messages at once). Handing each to its event loop with `execute` costs a queue lock and often
// a wake-up per message; a mailbox per loop turns a burst into one task.
import NIOCore
import Synchronization

/// Runs closures posted from any thread on one event loop, in posting order, batching those
/// that arrive before the loop gets to them into one task.
final class EventLoopMailbox: Sendable {
    private struct State: ~Copyable {
        var items: [@Sendable () -> Void] = []
        var scheduled = false
    }

    private let loop: any EventLoop
    private let state = Mutex(State())

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Queues `work` for the loop; schedules a drain only when none is pending.
    func post(_ work: @escaping @Sendable () -> Void) {
        let schedule = state.withLock { state -> Bool in
            state.items.append(work)
            guard !state.scheduled else { return false }
            state.scheduled = true
            return true
        }
        if schedule { loop.execute { self.drain() } }
    }

    private func drain() {
        let items = state.withLock { state -> [@Sendable () -> Void] in
            state.scheduled = false
            let items = state.items
            state.items.removeAll(keepingCapacity: true)
            return items
        }
        for item in items { item() }
    }
}

/// One mailbox per event loop of a group.
final class EventLoopMailboxes: Sendable {
    private let byLoop: [ObjectIdentifier: EventLoopMailbox]

    init(group: any EventLoopGroup) {
        var byLoop: [ObjectIdentifier: EventLoopMailbox] = [:]
        for loop in group.makeIterator() {
            byLoop[ObjectIdentifier(loop)] = EventLoopMailbox(loop: loop)
        }
        self.byLoop = byLoop
    }

    /// The mailbox of `loop` (a new one if the loop is not of the group).
    func mailbox(for loop: any EventLoop) -> EventLoopMailbox {
        byLoop[ObjectIdentifier(loop)] ?? EventLoopMailbox(loop: loop)
    }
}
