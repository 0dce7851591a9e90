import ArgumentParser
import Logging
import MLLP
import SwitchboardDaemon

/// `switchboard config`: work with configuration files.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check configuration files.",
        subcommands: [ConfigCheckCommand.self]
    )
}

/// `switchboard config check FILE`: validate a configuration without starting the daemon.
struct ConfigCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file (and SWITCHBOARD_* overrides) without starting.",
        discussion: """
            Reads FILE as `serve --config FILE` would, with the SWITCHBOARD_* environment variables \\
            applied over it: every value is checked, unknown keys are refused, and the TLS \\
            certificate, key and CA are loaded. A problem is reported as FILE:LINE: KEY: MESSAGE \\
            (or the environment variable that holds it) with exit status 2.

            Examples:
              switchboard config check /etc/switchboard/switchboard.yaml
              switchboard config check --show config/switchboard.yaml
              SWITCHBOARD_MLLP_LISTEN=0.0.0.0:2575 switchboard config check config/switchboard.yaml
            """
    )

    @Argument(help: ArgumentHelp("The YAML configuration file.", valueName: "FILE"))
    var file: String

    @Flag(name: .long, help: "Print the effective settings (key=value) after checking.")
    var show = false

    @Flag(name: .long, help: "Ignore SWITCHBOARD_* environment variables: check the file alone.")
    var noEnvironment = false

    func run() async throws {
        var configuration = DaemonConfiguration()
        let warnings: [String]
        do {
            warnings = try await ConfigurationFile.load(
                file: file, environment: noEnvironment ? [:] : Environment.all(), into: &configuration)
        } catch {
            throw CLIError("\(error)").report()
        }
        if let (listener, tls) = configuration.mllpTLS {
            do {
                _ = try tls.makeContext()
            } catch {
                throw CLIError("\(file): tls: the \(listener.name) listener's certificate, key or CA cannot be used: \(error)").report()
            }
        }
        var stderr = StandardError()
        for warning in warnings { print("switchboard: warning: \(warning)", to: &stderr) }
        if show {
            var settings = configuration.restartOnlySettings
            settings["log.level"] = configuration.logLevel.rawValue
            settings["log.phi"] = "\(configuration.logsPHI)"
            if let tls = configuration.mllpTLS?.tls {
                settings["tls.certificate"] = tls.certificateChainPath
                settings["tls.private_key"] = tls.privateKeyPath
                settings["tls.ca"] = tls.trustedCAPath ?? ""
            }
            for key in settings.keys.sorted() { print("\(key)=\(settings[key]!)") }
        }
        print("\(file): ok", to: &stderr)
    }
}
