#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Throwaway PKI for TLS tests, made with the `openssl` command line tool in a fresh temporary
/// directory: a CA, a server certificate (SAN 127.0.0.1 and localhost) and a client
/// certificate signed by it, and a client certificate signed by a second, untrusted CA. EC
/// P-256 keys (fast to make), unencrypted PEM, valid for two days.
public struct TestCertificates: Sendable {
    /// The directory holding the files.
    public let directory: String

    /// The trusted CA certificate.
    public var caCertificate: String { directory + "/ca.pem" }
    /// The server's certificate, signed by the CA.
    public var serverCertificate: String { directory + "/server.pem" }
    /// The server's private key.
    public var serverKey: String { directory + "/server.key" }
    /// A client certificate signed by the CA.
    public var clientCertificate: String { directory + "/client.pem" }
    /// The client certificate's private key.
    public var clientKey: String { directory + "/client.key" }
    /// A second CA that nothing trusts.
    public var rogueCACertificate: String { directory + "/rogue-ca.pem" }
    /// A client certificate signed by the rogue CA.
    public var rogueClientCertificate: String { directory + "/rogue-client.pem" }
    /// Its private key.
    public var rogueClientKey: String { directory + "/rogue-client.key" }
    /// A client certificate from the trusted CA that expired in 2020.
    public var expiredClientCertificate: String { directory + "/expired-client.pem" }
    /// Its key.
    public var expiredClientKey: String { directory + "/expired-client.key" }

    /// A failed `openssl` run.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The `openssl` executable on `PATH`, if any (tests skip when there is none).
    public static var opensslPath: String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/openssl"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Makes the certificates with `openssl` at `opensslPath`.
    public static func generate(openssl: String) throws(Failure) -> TestCertificates {
        var template = Array("/tmp/switchboard-tls-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure(description: "mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        let certificates = TestCertificates(directory: String(cString: made))
        try certificates.make(openssl: openssl)
        return certificates
    }

    private func make(openssl: String) throws(Failure) {
        let config = directory + "/openssl.cnf"
        let text = """
            [req]
            distinguished_name = dn
            prompt = no
            [dn]
            CN = placeholder
            [ca_ext]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign,cRLSign
            subjectKeyIdentifier = hash
            [server_ext]
            basicConstraints = CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = serverAuth
            subjectAltName = IP:127.0.0.1,DNS:localhost
            [client_ext]
            basicConstraints = CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = clientAuth

            """
        guard let file = fopen(config, "w") else { throw Failure(description: "cannot write \(config)") }
        fputs(text, file)
        fclose(file)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        func run(_ arguments: [String]) throws(Failure) {
            let result = CommandRunner.run(openssl, arguments)
            guard result.status == 0 else {
                throw Failure(description: "openssl \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.errorOutput)")
            }
        }
        func makeCA(_ name: String, _ cn: String) throws(Failure) {
            try run(["req", "-config", config, "-x509"] + ec + ["-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem",
                     "-days", "2", "-subj", "/CN=\(cn)", "-extensions", "ca_ext"])
        }
        func makeLeaf(_ name: String, _ cn: String, ca: String, extensions: String, serial: Int) throws(Failure) {
            try run(["req", "-config", config] + ec + ["-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr",
                     "-subj", "/CN=\(cn)"])
            try run(["x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", "\(directory)/\(ca).pem", "-CAkey", "\(directory)/\(ca).key",
                     "-set_serial", String(serial), "-out", "\(directory)/\(name).pem", "-days", "2",
                     "-extfile", config, "-extensions", extensions])
        }
        try makeCA("ca", "Switchboard Test CA")
        try makeCA("rogue-ca", "Untrusted Test CA")
        try makeLeaf("server", "switchboard-test-server", ca: "ca", extensions: "server_ext", serial: 1)
        try makeLeaf("client", "switchboard-test-client", ca: "ca", extensions: "client_ext", serial: 2)
        try makeLeaf("rogue-client", "rogue-test-client", ca: "rogue-ca", extensions: "client_ext", serial: 3)
        // An expired client certificate from the trusted CA: `x509 -req` cannot backdate, `ca` can.
        let caConfig = directory + "/ca.cnf"
        let caText = """
            [ca]
            default_ca = test_ca
            [test_ca]
            database = \(directory)/index.txt
            new_certs_dir = \(directory)
            serial = \(directory)/serial
            default_md = sha256
            policy = any_name
            unique_subject = no
            [any_name]
            commonName = supplied

            """
        for (path, content) in [(caConfig, caText), (directory + "/index.txt", ""), (directory + "/serial", "10\n")] {
            guard let file = fopen(path, "w") else { throw Failure(description: "cannot write \(path)") }
            fputs(content, file)
            fclose(file)
        }
        try run(["req", "-config", config] + ec + ["-keyout", "\(directory)/expired-client.key", "-out", "\(directory)/expired-client.csr",
                 "-subj", "/CN=expired-test-client"])
        try run(["ca", "-batch", "-config", caConfig, "-cert", "\(directory)/ca.pem", "-keyfile", "\(directory)/ca.key",
                 "-in", "\(directory)/expired-client.csr", "-out", "\(directory)/expired-client.pem", "-notext",
                 "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-extfile", config, "-extensions", "client_ext"])
    }

    /// Deletes the directory and its files.
    public func remove() {
        _ = CommandRunner.run("/bin/rm", ["-rf", directory])
    }
}
