public import NIOSSL

/// TLS for an MLLP listener, after IHE ATNA [ITI-19] "Authenticate Node": mutual certificate
/// authentication, TLS 1.2 or later, peers trusted through a CA rather than one by one, and no
/// hostname matching (TESTPLAN "MLLP over TLS", T16).
public struct MLLPServerTLSConfiguration: Sendable, Hashable {
    /// PEM file with the server's certificate, then any intermediates.
    public var certificateChainPath: String
    /// PEM file with the server's private key (unencrypted).
    public var privateKeyPath: String
    /// PEM file with the CA certificate(s) that client certificates must chain to. Required when
    /// ``requiresClientCertificate`` is `true`.
    public var trustedCAPath: String?
    /// Whether a client without a certificate from ``trustedCAPath`` fails the handshake.
    ///
    /// Default `true` (ATNA mutual authentication). When `false` and a CA is given, a client
    /// certificate is verified if one is presented; without a CA none is asked for.
    public var requiresClientCertificate: Bool

    /// Creates a configuration; nothing is read until ``makeContext()``.
    public init(certificateChainPath: String, privateKeyPath: String, trustedCAPath: String?,
                requiresClientCertificate: Bool = true) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.trustedCAPath = trustedCAPath
        self.requiresClientCertificate = requiresClientCertificate
    }

    /// The TLS settings: TLS ≥ 1.2; client certificates verified against the CA without
    /// hostname checks (`.noHostnameVerification`, which makes BoringSSL fail a handshake that
    /// brings no certificate) when ``requiresClientCertificate``.
    /// - Throws: ``MLLPTLSError`` naming the file that is missing, unreadable or not PEM.
    public func makeTLSConfiguration() throws(MLLPTLSError) -> TLSConfiguration {
        let chain = try MLLPTLSFiles.certificates(certificateChainPath, role: "server certificate chain")
        let key = try MLLPTLSFiles.privateKey(privateKeyPath, role: "server private key")
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let trustedCAPath {
            let roots = try MLLPTLSFiles.certificates(trustedCAPath, role: "trusted client CA")
            configuration.trustRoots = .certificates(roots)
            configuration.certificateVerification = requiresClientCertificate ? .noHostnameVerification : .optionalVerification
        } else if requiresClientCertificate {
            throw MLLPTLSError(.invalidConfiguration,
                               "client certificates are required but no trusted CA file is configured (server certificate \(certificateChainPath))")
        } else {
            configuration.certificateVerification = .none
        }
        return configuration
    }

    /// A context for `NIOSSLServerHandler`, built from ``makeTLSConfiguration()``.
    /// - Throws: ``MLLPTLSError`` naming the file at fault, or `.contextFailed` (e.g. the key
    ///   does not match the certificate).
    public func makeContext() throws(MLLPTLSError) -> NIOSSLContext {
        try MLLPTLSFiles.context(makeTLSConfiguration(), files: [certificateChainPath, privateKeyPath] + (trustedCAPath.map { [$0] } ?? []))
    }
}
