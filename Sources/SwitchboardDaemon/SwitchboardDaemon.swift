// Wiring of `switchboard serve`: hardening, state directory, journal, duplicate index,
// pipeline, listeners, admin server, systemd supervisor, reload, service group. Order states
// the dependencies: the journal is open and the index rebuilt before any listener binds;
// listeners stop before the journal closes.
import CaseloadStore
import Integration
import Journal
public import Logging
import MLLP
public import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Runs the daemon until SIGTERM/SIGINT (graceful: STOPPING=1, stop accepting, answer what was
/// read, close the journal).
public enum SwitchboardDaemon {
    /// Starts everything and serves until a shutdown signal. `onListening` is told each
    /// listener's bound address (`mllp`, `mllp-tls`, `admin`).
    public static func run(
        _ configuration: DaemonConfiguration, runtime: DaemonRuntime, logger: Logger,
        onListening: @escaping @Sendable (String, SocketAddress) -> Void = { _, _ in }
    ) async throws {
        ProcessHardening.apply()
        if runtime.logSettings.logsPHI {
            logger.warning("log.phi is on: log lines carry patient identifiers (PID-3); turn it off unless you are debugging")
        }
        try ProcessHardening.prepareStateDirectory(configuration.stateDirectory)
        let journal: FileJournal
        do {
            journal = try await FileJournal.open(configuration.journal, logger: logger)
        } catch {
            throw DaemonError("cannot open the journal in \(configuration.journal.directory): \(error)")
        }
        if let torn = journal.recovery.truncatedTail {
            logger.warning("journal torn tail cut off", metadata: ["journal.truncated": "\(torn)"])
        }
        let store: InboundStore
        do {
            store = try await InboundStore.open(
                journal: journal, duplicates: configuration.duplicates, logger: logger, nowMicroseconds: WallClock.microseconds())
        } catch {
            await journal.close()
            throw DaemonError("cannot read the journal in \(configuration.journal.directory): \(error)")
        }
        let caseload = CaseloadEngine(store: store, rules: configuration.caseloadRules, outbound: configuration.outbound)
        let pipeline = InboundPipeline(configuration: configuration.inbound, store: store, caseload: caseload,
                                       now: { WallClock.microseconds() })
        let metrics = InboundMetrics()
        let responder = InboundResponder(pipeline: pipeline, logger: logger, logSettings: runtime.logSettings, metrics: metrics)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        var servers = [MLLPServer(configuration: configuration.mllp, responder: responder, eventLoopGroup: group, logger: logger)]
        if let (listener, tls) = configuration.mllpTLS {
            let context: NIOSSLContext
            do {
                context = try tls.makeContext()
            } catch {
                await journal.close()
                try? await group.shutdownGracefully()
                throw DaemonError("TLS listener \(listener.name): \(error)")
            }
            servers.append(MLLPServer(configuration: listener, responder: responder, eventLoopGroup: group,
                                      tlsContext: context, logger: logger))
        }
        for server in servers {
            let name = server.configuration.name
            Task {
                if let address = try? await server.localAddress() { onListening(name, address) }
            }
        }
        // The supervisor probes every half interval; a heartbeat older than three quarters of
        // it means the writer stopped answering, and the watchdog goes unpetted.
        let tolerance = runtime.notifier.watchdogInterval.map { $0 * 3 / 4 } ?? .seconds(30)
        let health = DaemonHealth(journal: journal, heartbeatTolerance: tolerance)
        let adminBound = group.any().makePromise(of: Void.self)
        let adminBoundOnce = SharedFlag()
        let markAdminBound: @Sendable () -> Void = {
            if adminBoundOnce.claim() { adminBound.succeed() }
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let admin = configuration.adminAddress {
            // First in the group: shut down last, so /metrics and /readyz answer during a drain.
            services.append(.init(service: AdminServer(
                host: admin.host, port: admin.port, registry: runtime.metricsRegistry, health: health, caseload: caseload,
                eventLoopGroup: group,
                logger: logger,
                onListening: { address in
                    onListening("admin", address)
                    markAdminBound()
                },
                onStopped: markAdminBound)))
        } else {
            markAdminBound()
        }
        if configuration.snapshotEveryRecords > 0 {
            // Before the listeners: shut down after them, so the last snapshot covers the drain.
            services.append(.init(service: CaseloadSnapshotter(
                store: store, engine: caseload, everyRecords: configuration.snapshotEveryRecords, logger: logger)))
        }
        // Before the listeners too: it stops after them (nothing new is committed by then).
        services.append(.init(service: OutboxService(engine: caseload, destinations: configuration.destinations, logger: logger)))
        services += servers.map { .init(service: $0) }
        if let load = runtime.reloadConfiguration {
            services.append(.init(service: ConfigurationReloader(
                load: load, running: configuration, servers: servers, caseload: caseload, logSettings: runtime.logSettings,
                notifier: runtime.notifier, logger: logger)))
        }
        // Last: graceful shutdown reaches it first (STOPPING=1 before the drain).
        services.append(.init(service: DaemonSupervisor(
            servers: servers, adminBound: { _ = try? await adminBound.futureResult.get() }, journal: journal,
            health: health, metrics: metrics, notifier: runtime.notifier, logger: logger)))
        let serviceGroup = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        var failure: (any Error)?
        do {
            try await serviceGroup.run()
        } catch {
            failure = error
        }
        markAdminBound()  // in case the admin listener never came up
        logger.info("listeners stopped; closing the journal", metadata: ["journal.seq": "\(journal.lastDurableSequence)"])
        await journal.close()
        try? await group.shutdownGracefully()
        if failure == nil { logger.notice("stopped", metadata: ["journal.seq": "\(journal.lastDurableSequence)"]) }
        if let failure { throw (failure as? DaemonError) ?? DaemonError("\(failure)") }
    }
}
