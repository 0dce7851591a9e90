// Wiring of `switchboard serve`: hardening, state directory, journal, duplicate index,
// pipeline, listeners, service group. Order states the dependencies: the journal is open and
// the index rebuilt before any listener binds; listeners stop before the journal closes.
import CaseloadStore
import Integration
import Journal
public import Logging
import MLLP
public import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// Runs the daemon until SIGTERM/SIGINT (graceful: stop accepting, answer what was read,
/// close the journal).
public enum SwitchboardDaemon {
    /// Starts everything and serves until a shutdown signal. `onListening` is told each
    /// listener's bound address (tests and `serve` print them).
    public static func run(
        _ configuration: DaemonConfiguration, logger: Logger,
        onListening: @escaping @Sendable (String, SocketAddress) -> Void = { _, _ in }
    ) async throws {
        ProcessHardening.apply()
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
        let pipeline = InboundPipeline(configuration: configuration.inbound, store: store, now: { WallClock.microseconds() })
        let responder = InboundResponder(pipeline: pipeline, logger: logger)
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
        let services = ServiceGroup(
            configuration: .init(
                services: servers.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        var failure: (any Error)?
        do {
            try await services.run()
        } catch {
            failure = error
        }
        logger.info("listeners stopped; closing the journal", metadata: ["journal.seq": "\(journal.lastDurableSequence)"])
        await journal.close()
        try? await group.shutdownGracefully()
        if let failure { throw DaemonError("\(failure)") }
    }
}
