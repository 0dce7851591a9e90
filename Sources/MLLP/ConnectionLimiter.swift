// Connection caps shared by every event loop of a listener.
import Synchronization

/// Counts open connections, in total and per source address, and refuses those over the caps.
final class ConnectionLimiter: Sendable {
    private struct Counts {
        var total = 0
        var byAddress: [String: Int] = [:]
    }

    private let maxTotal: Int
    private let maxPerAddress: Int
    private let counts = Mutex(Counts())

    init(maxTotal: Int, maxPerAddress: Int) {
        self.maxTotal = maxTotal
        self.maxPerAddress = maxPerAddress
    }

    /// Which cap refused a connection (the raw value is the log and metric label).
    enum Refusal: String, Sendable, Equatable, CaseIterable {
        case listenerFull = "listener_full"
        case addressFull = "address_full"
    }

    /// Admits a connection from `address`, or says which cap refuses it.
    func admit(_ address: String) -> Refusal? {
        counts.withLock { counts in
            if counts.total >= maxTotal { return .listenerFull }
            let mine = counts.byAddress[address, default: 0]
            if mine >= maxPerAddress { return .addressFull }
            counts.total += 1
            counts.byAddress[address] = mine + 1
            return nil
        }
    }

    /// Releases an admitted connection.
    func release(_ address: String) {
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.byAddress[address, default: 1] - 1
            counts.byAddress[address] = left > 0 ? left : nil
        }
    }

    /// Connections open now.
    var open: Int { counts.withLock { $0.total } }
}
