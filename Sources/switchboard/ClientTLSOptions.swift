import ArgumentParser
import MLLP

/// `--tls-ca`, `--tls-cert`, `--tls-key` of the commands that connect to a daemon (`send`,
/// `replay --to`).
struct ClientTLSOptions: ParsableArguments {
    @Option(name: .customLong("tls-ca"), help: ArgumentHelp("Use TLS; trust server certificates from this CA (PEM).", valueName: "FILE"))
    var tlsCA: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("Use TLS with this client certificate chain (PEM).", valueName: "FILE"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The client certificate's private key (PEM).", valueName: "FILE"))
    var tlsKey: String?

    /// The TLS settings (nil: plain TCP), with the files read now so that a wrong path is an
    /// input error before anything is sent.
    func configuration() throws(CLIError) -> MLLPClientTLSConfiguration? {
        guard tlsCA != nil || tlsCertificate != nil || tlsKey != nil else { return nil }
        let tls = MLLPClientTLSConfiguration(trustedCAPath: tlsCA, certificateChainPath: tlsCertificate, privateKeyPath: tlsKey)
        do {
            _ = try tls.makeTLSConfiguration()
        } catch {
            throw CLIError(error.message)
        }
        return tls
    }
}
