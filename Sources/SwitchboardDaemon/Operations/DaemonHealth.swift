// What /healthz, /readyz and the systemd STATUS= line report.
import Journal
import Synchronization

/// Live state of the daemon shared by the supervisor, the admin server and the listeners.
final class DaemonHealth: Sendable {
    enum Phase: UInt8 { case starting, ready, draining }

    private let phaseValue = Atomic<UInt8>(Phase.starting.rawValue)
    /// Milliseconds since this object was made when the journal last answered a heartbeat.
    private let lastHeartbeat = Atomic<Int64>(0)
    private let started = ContinuousClock.now
    let journal: FileJournal
    /// A heartbeat older than this makes /healthz fail.
    let heartbeatTolerance: Duration

    init(journal: FileJournal, heartbeatTolerance: Duration) {
        self.journal = journal
        self.heartbeatTolerance = heartbeatTolerance
        heartbeatAnswered()
    }

    var phase: Phase {
        get { Phase(rawValue: phaseValue.load(ordering: .acquiring)) ?? .starting }
        set { phaseValue.store(newValue.rawValue, ordering: .releasing) }
    }

    /// The journal writer answered a heartbeat now.
    func heartbeatAnswered() {
        lastHeartbeat.store(Self.milliseconds(ContinuousClock.now - started), ordering: .relaxed)
    }

    /// Why the process is not healthy (a restart is the remedy), or `nil` when it is.
    var unhealthyReason: String? {
        if journal.isFailStopped { return "journal fail-stopped after a write or fsync error; restart to recover" }
        let silent = Self.milliseconds(ContinuousClock.now - started) - lastHeartbeat.load(ordering: .relaxed)
        if silent > Self.milliseconds(heartbeatTolerance) {
            return "journal writer has not answered for \(silent) ms (disk hung?)"
        }
        return nil
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// Why the daemon should get no traffic now, or `nil` when it is ready.
    var notReadyReason: String? {
        switch phase {
        case .starting: return "starting: listeners not bound yet"
        case .draining: return "draining: shutting down"
        case .ready: return unhealthyReason
        }
    }
}
