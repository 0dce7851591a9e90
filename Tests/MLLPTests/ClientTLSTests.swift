import MLLP
import NIOCore
import SwitchboardTestSupport
import Testing

/// Client and TLS configurations end to end on loopback: only a client certificate from the
/// trusted CA gets a response (the daemon's own T16 matrix is the server's test).
@Suite("MLLP client over TLS", .enabled(if: TestCertificates.opensslPath != nil, "openssl is not on PATH"))
struct ClientTLSTests {
    @Test func mutualTLSExchangesFramesAndRefusesOthers() async throws {
        let pki = try TestCertificates.generate(openssl: TestCertificates.opensslPath!)
        defer { pki.remove() }
        let serverTLS = MLLPServerTLSConfiguration(certificateChainPath: pki.serverCertificate, privateKeyPath: pki.serverKey,
                                                   trustedCAPath: pki.caCertificate)
        let server = try await TestMLLPServer.start(tls: try serverTLS.makeContext())
        defer { Task { await server.stop() } }

        let good = MLLPClientTLSConfiguration(trustedCAPath: pki.caCertificate, certificateChainPath: pki.clientCertificate,
                                              privateKeyPath: pki.clientKey, serverHostname: "localhost")
        let client = try await MLLPClient.connect(host: "127.0.0.1", port: server.port, tls: good)
        #expect(String(buffer: try await client.send(ByteBuffer(string: "secure"), timeout: .seconds(10))) == "ACK:secure")
        try await client.close()

        // No client certificate, or one from another CA: the handshake fails (with TLS 1.3 the
        // client may learn it only on its first read), and no frame reaches the server.
        let framesBefore = server.framesReceived
        let withoutCertificate = MLLPClientTLSConfiguration(trustedCAPath: pki.caCertificate)
        let rogue = MLLPClientTLSConfiguration(trustedCAPath: pki.caCertificate, certificateChainPath: pki.rogueClientCertificate,
                                               privateKeyPath: pki.rogueClientKey)
        for tls in [withoutCertificate, rogue] {
            await #expect(throws: MLLPClientError.self) {
                let refused = try await MLLPClient.connect(host: "127.0.0.1", port: server.port, tls: tls)
                _ = try await refused.send(ByteBuffer(string: "must not arrive"), timeout: .seconds(10))
            }
        }
        // The client refuses a server whose certificate is not from its CA.
        let wrongCA = MLLPClientTLSConfiguration(trustedCAPath: pki.rogueCACertificate, certificateChainPath: pki.clientCertificate,
                                                 privateKeyPath: pki.clientKey)
        do {
            _ = try await MLLPClient.connect(host: "127.0.0.1", port: server.port, tls: wrongCA)
            Issue.record("expected the server certificate to be refused")
        } catch {
            #expect(error.code == .connectFailed)
        }
        #expect(server.framesReceived == framesBefore)
    }
}
