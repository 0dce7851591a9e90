import MLLP
import NIOSSL
import SwitchboardTestSupport
import Testing

@Suite("MLLP TLS configuration")
struct TLSConfigurationTests {
    @Test(.enabled(if: TestCertificates.opensslPath != nil, "openssl is not on PATH"))
    func contextsBuildFromGeneratedCertificates() throws {
        let pki = try TestCertificates.generate(openssl: TestCertificates.opensslPath!)
        defer { pki.remove() }
        let server = MLLPServerTLSConfiguration(certificateChainPath: pki.serverCertificate, privateKeyPath: pki.serverKey,
                                                trustedCAPath: pki.caCertificate)
        let serverSettings = try server.makeTLSConfiguration()
        #expect(serverSettings.minimumTLSVersion == .tlsv12)
        #expect(serverSettings.certificateVerification == .noHostnameVerification)
        _ = try server.makeContext()

        var optional = server
        optional.requiresClientCertificate = false
        #expect(try optional.makeTLSConfiguration().certificateVerification == .optionalVerification)

        let client = MLLPClientTLSConfiguration(trustedCAPath: pki.caCertificate, certificateChainPath: pki.clientCertificate,
                                                privateKeyPath: pki.clientKey)
        let clientSettings = try client.makeTLSConfiguration()
        #expect(clientSettings.certificateVerification == .noHostnameVerification)
        #expect(clientSettings.minimumTLSVersion == .tlsv12)
        _ = try client.makeContext()
    }

    @Test(.enabled(if: TestCertificates.opensslPath != nil, "openssl is not on PATH"))
    func keyThatDoesNotMatchTheCertificateIsRefused() throws {
        let pki = try TestCertificates.generate(openssl: TestCertificates.opensslPath!)
        defer { pki.remove() }
        let server = MLLPServerTLSConfiguration(certificateChainPath: pki.serverCertificate, privateKeyPath: pki.clientKey,
                                                trustedCAPath: pki.caCertificate)
        #expect(throws: MLLPTLSError.self) { try server.makeContext() }
    }

    @Test func missingFilesAreNamed() {
        let missing = "/nonexistent/switchboard/server.pem"
        let server = MLLPServerTLSConfiguration(certificateChainPath: missing, privateKeyPath: "/nonexistent/key.pem", trustedCAPath: nil)
        do {
            _ = try server.makeContext()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unreadableFile)
            #expect(error.path == missing)
            #expect(error.description.contains(missing))
        }
        let client = MLLPClientTLSConfiguration(trustedCAPath: "/nonexistent/ca.pem")
        do {
            _ = try client.makeContext()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unreadableFile)
            #expect(error.description.contains("/nonexistent/ca.pem"))
        }
    }

    @Test func notPEMIsRefusedNamingTheFile() throws {
        // /etc/hostname-like text: exists, is readable, is not a certificate.
        let path = "/proc/self/status"
        let client = MLLPClientTLSConfiguration(trustedCAPath: path)
        do {
            _ = try client.makeContext()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidPEM)
            #expect(error.description.contains(path))
        }
    }

    @Test func inconsistentSettingsAreRefused() {
        let certOnly = MLLPClientTLSConfiguration(trustedCAPath: nil, certificateChainPath: "/x/client.pem")
        #expect(throws: MLLPTLSError(.invalidConfiguration, "client certificate /x/client.pem given without its private key", path: "/x/client.pem")) {
            try certOnly.makeTLSConfiguration()
        }
    }
}
