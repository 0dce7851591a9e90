public import NIOSSL

/// TLS for an MLLP client (a sender): trusts the server through a CA, optionally presents a
/// client certificate for mutual authentication, and by default does not match the server's
/// hostname (IHE ATNA practice, as ``MLLPServerTLSConfiguration``).
public struct MLLPClientTLSConfiguration: Sendable, Hashable {
    /// PEM file with the CA certificate(s) the server's certificate must chain to; `nil` uses
    /// the system's trust store.
    public var trustedCAPath: String?
    /// PEM file with the client's certificate chain, for servers that require one.
    public var certificateChainPath: String?
    /// PEM file with the client's private key; given exactly when ``certificateChainPath`` is.
    public var privateKeyPath: String?
    /// Sent as SNI and, when ``verifiesHostname``, matched against the server's certificate.
    public var serverHostname: String?
    /// Whether the server's certificate must name ``serverHostname``. Default `false`.
    public var verifiesHostname: Bool

    /// Creates a configuration; nothing is read until ``makeContext()``.
    public init(trustedCAPath: String?, certificateChainPath: String? = nil, privateKeyPath: String? = nil,
                serverHostname: String? = nil, verifiesHostname: Bool = false) {
        self.trustedCAPath = trustedCAPath
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.serverHostname = serverHostname
        self.verifiesHostname = verifiesHostname
    }

    /// The TLS settings: TLS ≥ 1.2, the server verified against the CA (hostname only when
    /// ``verifiesHostname``), the client certificate when configured.
    /// - Throws: ``MLLPTLSError`` naming the file that is missing, unreadable or not PEM, or
    ///   `.invalidConfiguration` for a certificate without a key (or the reverse).
    public func makeTLSConfiguration() throws(MLLPTLSError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = verifiesHostname ? .fullVerification : .noHostnameVerification
        if let trustedCAPath {
            configuration.trustRoots = .certificates(try MLLPTLSFiles.certificates(trustedCAPath, role: "trusted server CA"))
        }
        switch (certificateChainPath, privateKeyPath) {
        case (nil, nil):
            break
        case let (chainPath?, keyPath?):
            let chain = try MLLPTLSFiles.certificates(chainPath, role: "client certificate chain")
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(try MLLPTLSFiles.privateKey(keyPath, role: "client private key"))
        case let (chainPath?, nil):
            throw MLLPTLSError(.invalidConfiguration, "client certificate \(chainPath) given without its private key", path: chainPath)
        case let (nil, keyPath?):
            throw MLLPTLSError(.invalidConfiguration, "client private key \(keyPath) given without its certificate", path: keyPath)
        }
        if verifiesHostname, serverHostname == nil {
            throw MLLPTLSError(.invalidConfiguration, "hostname verification needs a server hostname")
        }
        return configuration
    }

    /// A context for `NIOSSLClientHandler`, built from ``makeTLSConfiguration()``.
    public func makeContext() throws(MLLPTLSError) -> NIOSSLContext {
        try MLLPTLSFiles.context(makeTLSConfiguration(),
                                 files: [trustedCAPath, certificateChainPath, privateKeyPath].compactMap { $0 })
    }
}
