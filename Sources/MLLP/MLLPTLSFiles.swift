import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loading PEM files with errors that name the file (NIOSSL's own errors do not).
enum MLLPTLSFiles {
    /// The certificates in a PEM file (a chain: leaf first; or a CA bundle).
    static func certificates(_ path: String, role: String) throws(MLLPTLSError) -> [NIOSSLCertificate] {
        try checkReadable(path, role: role)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw MLLPTLSError(.invalidPEM, "\(role) \(path): not a PEM certificate file (\(error))", path: path)
        }
        guard !certificates.isEmpty else {
            throw MLLPTLSError(.invalidPEM, "\(role) \(path): no certificate in the file", path: path)
        }
        return certificates
    }

    /// The private key in a PEM file.
    static func privateKey(_ path: String, role: String) throws(MLLPTLSError) -> NIOSSLPrivateKey {
        try checkReadable(path, role: role)
        do {
            return try NIOSSLPrivateKey(file: path, format: .pem)
        } catch {
            throw MLLPTLSError(.invalidPEM, "\(role) \(path): not an unencrypted PEM private key (\(error))", path: path)
        }
    }

    /// Builds the context, wrapping BoringSSL's refusal.
    static func context(_ configuration: TLSConfiguration, files: [String]) throws(MLLPTLSError) -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw MLLPTLSError(.contextFailed, "TLS context from \(files.joined(separator: ", ")) refused: \(error)")
        }
    }

    private static func checkReadable(_ path: String, role: String) throws(MLLPTLSError) {
        guard access(path, R_OK) == 0 else {
            let reason = String(cString: strerror(errno))
            throw MLLPTLSError(.unreadableFile, "\(role) \(path): cannot read: \(reason)", path: path)
        }
    }
}
