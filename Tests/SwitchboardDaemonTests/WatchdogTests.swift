// The supervisor pets the systemd watchdog only while the journal writer answers: a writer
// stuck in fdatasync (a hung disk) or a fail-stopped journal stops the pings, so systemd
// restarts the daemon; /healthz reports the same state.
import Journal
import Logging
import SystemPackage
@testable import SwitchboardDaemon
import SwitchboardTestSupport
import Testing

// In the serialized daemon suite: the in-process supervisor needs a free thread of the
// cooperative pool (two on CI), and the black-box tests there block one while they wait.
// The windows below are generous; a starved supervisor only pings less, never more.
extension DaemonTests {
@Suite("watchdog follows the journal writer")
struct WatchdogTests {
    /// A supervisor over a journal on fault-injecting storage, notifying a fake socket.
    private struct Rig {
        let socket: FakeNotifySocket
        let disk: FaultInjectingStorage
        let journal: FileJournal
        let health: DaemonHealth
        let directory: String
        let task: Task<Void, any Error>

        init() async throws {
            socket = try FakeNotifySocket()
            directory = try TemporaryDirectory.make(prefix: "watchdog")
            disk = FaultInjectingStorage(wrapping: SystemStorage())
            journal = try await FileJournal.open(JournalConfiguration(stateDirectory: directory), storage: disk)
            let interval = Duration.milliseconds(200)
            let notifier = SystemdNotifier(socketPath: socket.path, watchdogInterval: interval)
            health = DaemonHealth(journal: journal, heartbeatTolerance: interval * 3 / 4)
            let supervisor = DaemonSupervisor(
                servers: [], adminBound: {}, journal: journal, health: health, metrics: InboundMetrics(),
                notifier: notifier, logger: .init(label: "test"))
            task = Task { try await supervisor.run() }
        }

        /// WATCHDOG=1 pings among the notifications of the next `seconds`, and the last STATUS=
        /// (notifications queued before the call are discarded first).
        func observe(seconds: Double) async -> (pings: Int, lastStatus: String?) {
            while socket.receive(timeout: 0) != nil {}
            var pings = 0
            var status: String?
            let deadline = monotonicSeconds() + seconds
            while monotonicSeconds() < deadline, let next = await socket.receiveAsync(timeout: deadline - monotonicSeconds()) {
                if next.contains("WATCHDOG=1") { pings += 1 }
                if let line = next.split(separator: "\n").first(where: { $0.hasPrefix("STATUS=") }) { status = String(line.dropFirst(7)) }
            }
            return (pings, status)
        }

        func stop() async {
            task.cancel()
            _ = try? await task.value
            await journal.close()
            TemporaryDirectory.remove(directory)
        }
    }

    @Test func aWriterStuckInFsyncStopsThePingsUntilItAnswersAgain() async throws {
        let rig = try await Rig()
        let ready = await rig.socket.receiveAsync(until: { $0.contains("READY=1") }, timeout: 10)
        #expect(ready.last?.contains("READY=1") == true)
        let healthy = await rig.observe(seconds: 2).pings
        #expect(healthy >= 1)

        // The next fdatasync takes 4 s: the writer answers no heartbeat meanwhile.
        rig.disk.syncDelayMicroseconds = 4_000_000
        let journal = rig.journal
        let append = Task { try await journal.append(Array("stuck".utf8)) }
        try await Task.sleep(for: .milliseconds(600))
        let stuck = await rig.observe(seconds: 2)
        #expect(stuck.pings == 0, "pinged while the writer was stuck")
        #expect(rig.health.unhealthyReason?.contains("has not answered") == true)
        #expect(stuck.lastStatus?.hasPrefix("UNHEALTHY") == true, "\(stuck.lastStatus ?? "no STATUS")")

        rig.disk.syncDelayMicroseconds = 0
        _ = try await append.value
        let resumed = await rig.observe(seconds: 3).pings
        #expect(resumed >= 1, "pings resume once the writer answers")
        await rig.stop()
    }

    @Test func aFailStoppedJournalStopsThePingsForGood() async throws {
        let rig = try await Rig()
        _ = await rig.socket.receiveAsync(until: { $0.contains("READY=1") }, timeout: 10)
        let healthy = await rig.observe(seconds: 2).pings
        #expect(healthy >= 1)

        rig.disk.setRules([FaultRule(.sync, nth: 1, errno: .ioError, persistent: true)])
        await #expect(throws: JournalError.self) { try await rig.journal.append(Array("lost".utf8)) }
        #expect(rig.journal.isFailStopped)
        // Once STATUS= reports the fail-stop, no WATCHDOG=1 follows.
        let seen = await rig.socket.receiveAsync(until: { _ in false }, timeout: 2)
        let reported = try #require(seen.firstIndex { $0.contains("STATUS=UNHEALTHY") && $0.contains("fail-stopped") }, "\(seen)")
        #expect(!seen[reported...].contains { $0.contains("WATCHDOG=1") })
        #expect(rig.health.unhealthyReason?.contains("fail-stopped") == true)
        #expect(rig.health.notReadyReason != nil)
        await rig.stop()
    }
}
}
