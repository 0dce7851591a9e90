// The admin HTTP listener (loopback by default): Prometheus /metrics, /healthz, /readyz.
// Hummingbird 2; the caseload API will be mounted on the same router.
import Hummingbird
import Integration
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// Serves the operations endpoints until graceful shutdown.
struct AdminServer: Service, CustomStringConvertible {
    var description: String { "admin HTTP \(HostAndPort(host: host, port: port))" }

    let host: String
    let port: Int
    let registry: PrometheusCollectorRegistry
    let health: DaemonHealth
    let caseload: CaseloadEngine
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// Told the bound address once the listener is up.
    let onListening: @Sendable (SocketAddress) -> Void
    /// Told when the server stopped, bound or not (whoever waits for the bind stops waiting).
    let onStopped: @Sendable () -> Void

    func run() async throws {
        let router = Router()
        router.get("/metrics") { [registry] _, _ -> Response in
            var text: [UInt8] = []
            text.reserveCapacity(16 << 10)
            registry.emit(into: &text)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        router.get("/healthz") { [health] _, _ -> Response in
            plain(health.unhealthyReason.map { (.serviceUnavailable, $0) } ?? (.ok, "ok"))
        }
        router.get("/readyz") { [health] _, _ -> Response in
            plain(health.notReadyReason.map { (.serviceUnavailable, $0) } ?? (.ok, "ready"))
        }
        CaseloadAPI(engine: caseload).register(on: router)
        OutboxAPI(engine: caseload).register(on: router)
        let host = host, port = port, logger = logger, onListening = onListening
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                guard let address = channel.localAddress else { return }
                logger.notice("admin listening", metadata: ["admin.address": "\(address.ipAddress ?? host):\(address.port ?? port)"])
                onListening(address)
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
        defer { onStopped() }
        do {
            try await application.run()
        } catch {
            throw DaemonError("admin listener \(host):\(port): \(error)")
        }
    }
}

private func plain(_ answer: (status: HTTPResponse.Status, text: String)) -> Response {
    Response(
        status: answer.status, headers: [.contentType: "text/plain; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: answer.text + "\n")))
}
