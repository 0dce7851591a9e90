/// Why a TLS configuration could not be turned into a context. The message names the file.
public struct MLLPTLSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// The file does not exist or cannot be read.
        case unreadableFile
        /// The file holds no usable PEM certificate or key.
        case invalidPEM
        /// The settings contradict each other (e.g. a client certificate without its key).
        case invalidConfiguration
        /// BoringSSL refused the combination (e.g. a key that does not match the certificate).
        case contextFailed
    }

    /// What went wrong.
    public var code: Code
    /// A sentence naming the file(s) involved.
    public var message: String
    /// The file the error is about, when there is one.
    public var path: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// `MLLP TLS: <code>: <message>`.
    public var description: String { "MLLP TLS: \(code.rawValue): \(message)" }
}
