// TESTPLAN T16: only a client with a certificate from the configured CA, over TLS ≥ 1.2,
// completes a message on a TLS listener; every other client fails the handshake before the
// responder sees a byte. The listener is the real MLLPServer on 127.0.0.1 with a private CA
// made by the openssl CLI (skipped when openssl is absent).
import Logging
import MLLP
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import SwitchboardTestSupport
import Testing

@Suite("T16 TLS matrix")
struct TLSMatrixTests {
    /// Answers every frame with `ACK:` + payload and counts the frames it saw.
    final class CountingResponder: MLLPFrameResponder {
        let frames = Atomic<Int>(0)
        func respond(to frame: ByteBuffer, connection: MLLPConnectionInfo, reply: @escaping @Sendable (ByteBuffer?) -> Void) {
            frames.add(1, ordering: .relaxed)
            var out = ByteBuffer(string: "ACK:")
            out.writeImmutableBuffer(frame)
            reply(out)
        }
    }

    enum Outcome: Equatable, CustomStringConvertible {
        case answered
        case refused(String)
        var description: String {
            switch self {
            case .answered: "answered"
            case .refused(let why): "refused (\(why))"
            }
        }
    }

    /// Connects, optionally with TLS, sends one framed message and waits up to 5 s for an answer.
    static func attempt(port: Int, tls: TLSConfiguration?) async -> Outcome {
        let answer = MLLPAnswerCatcher()
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            let context = try NIOSSLContext(configuration: tls)
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                        }
                        try channel.pipeline.syncOperations.addHandler(answer)
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            var frame = ByteBuffer(bytes: [0x0B])
            frame.writeString("MSH|^~\\&|T16|TEST|||20261129||ADT^A01|T16-1|P|2.5.1\r")
            frame.writeBytes([0x1C, 0x0D])
            channel.writeAndFlush(frame, promise: nil)
            let timeout = channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
            timeout.cancel()
        } catch {
            return .refused("\(error)")
        }
        return answer.received ? .answered : .refused(answer.failure ?? "closed without an answer")
    }

    @Test func onlyAValidClientCertificateOverTLS12CompletesAMessage() async throws {
        guard let openssl = TestCertificates.opensslPath else {
            print("{\"test\":\"T16\",\"skipped\":\"openssl not on PATH\"}")
            return
        }
        let certificates = try TestCertificates.generate(openssl: openssl)
        defer { certificates.remove() }
        let serverTLS = MLLPServerTLSConfiguration(
            certificateChainPath: certificates.serverCertificate, privateKeyPath: certificates.serverKey,
            trustedCAPath: certificates.caCertificate)
        let responder = CountingResponder()
        let server = MLLPServer(
            configuration: MLLPServerConfiguration(name: "mllp-tls", port: 0), responder: responder,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, tlsContext: try serverTLS.makeContext(),
            logger: Logger(label: "t16", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let port = try await server.localAddress().port!

        func client(certificate: String?, key: String?, maxVersion: TLSVersion? = nil) throws -> TLSConfiguration {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(certificates.caCertificate)
            tls.certificateVerification = .noHostnameVerification
            if let certificate, let key {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            if let maxVersion {
                tls.minimumTLSVersion = .tlsv1
                tls.maximumTLSVersion = maxVersion
            }
            return tls
        }

        let cases: [(String, TLSConfiguration?, Outcome)] = [
            ("valid certificate, TLS >= 1.2", try client(certificate: certificates.clientCertificate, key: certificates.clientKey), .answered),
            ("no client certificate", try client(certificate: nil, key: nil), .refused("")),
            ("certificate from another CA", try client(certificate: certificates.rogueClientCertificate, key: certificates.rogueClientKey), .refused("")),
            ("expired certificate", try client(certificate: certificates.expiredClientCertificate, key: certificates.expiredClientKey), .refused("")),
            ("TLS 1.1 with a valid certificate", try client(certificate: certificates.clientCertificate, key: certificates.clientKey, maxVersion: .tlsv11), .refused("")),
            ("plaintext MLLP", nil, .refused("")),
        ]
        var met = 0
        for (name, tls, expected) in cases {
            let outcome = await Self.attempt(port: port, tls: tls)
            let ok = (outcome == .answered) == (expected == .answered)
            if ok { met += 1 } else { Issue.record("\(name): expected \(expected), got \(outcome)") }
        }
        // Only the valid client's frame reached the responder: the others never got past TLS.
        #expect(responder.frames.load(ordering: .relaxed) == 1)
        print("{\"test\":\"T16\",\"pass\":\(met == cases.count && responder.frames.load(ordering: .relaxed) == 1),\"cases\":\(cases.count),\"expected_outcomes_met\":\(met),\"frames_reaching_responder\":\(responder.frames.load(ordering: .relaxed))}")
    }
}

/// Records whether an MLLP answer frame arrived.
final class MLLPAnswerCatcher: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let state = Mutex<(received: Bool, failure: String?)>((false, nil))
    var received: Bool { state.withLock { $0.received } }
    var failure: String? { state.withLock { $0.failure } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        if bytes.readableBytesView.contains(0x1C) {
            state.withLock { $0.received = true }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        state.withLock { $0.failure = "\(error)" }
        context.close(promise: nil)
    }
}
