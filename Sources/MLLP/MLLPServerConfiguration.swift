// Limits and timeouts of one MLLP listener (TESTPLAN "Resource limits" gives the defaults).

/// The settings of one MLLP listener. Every limit has a default fit for a hospital network.
public struct MLLPServerConfiguration: Sendable {
    /// The listener's name in logs, metrics and journal records (`mllp`, `mllp-tls`).
    public var name: String
    /// Address to bind. Default `127.0.0.1`: exposing the port is a deliberate choice.
    public var host: String
    /// Port to bind; 0 picks a free one (tests). Default 2575, the registered HL7 MLLP port.
    public var port: Int
    /// Frame size, junk and tolerances.
    public var framing: MLLPFramingConfiguration
    /// A frame must be complete within this many seconds of its start block (slowloris guard).
    /// Default 30.
    public var frameTimeoutSeconds: Int64
    /// A connection with no traffic and nothing in flight is closed after this many seconds.
    /// Default 300.
    public var idleTimeoutSeconds: Int64
    /// Open connections on this listener. Default 64.
    public var maxConnections: Int
    /// Open connections from one source address. Default 8.
    public var maxConnectionsPerAddress: Int
    /// Frames of one connection received but not yet answered; at this many the connection is
    /// not read until an answer goes out (backpressure for pipelining senders). Default 64.
    public var maxPendingFramesPerConnection: Int
    /// The listen(2) backlog. Default 128.
    public var backlog: Int
    /// On shutdown, how long connections may take to finish frames in flight. Default 10 s.
    public var drainTimeoutSeconds: Int64

    public init(
        name: String = "mllp", host: String = "127.0.0.1", port: Int = 2575, framing: MLLPFramingConfiguration = .default,
        frameTimeoutSeconds: Int64 = 30, idleTimeoutSeconds: Int64 = 300, maxConnections: Int = 64,
        maxConnectionsPerAddress: Int = 8, maxPendingFramesPerConnection: Int = 64, backlog: Int = 128,
        drainTimeoutSeconds: Int64 = 10
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.framing = framing
        self.frameTimeoutSeconds = frameTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.maxPendingFramesPerConnection = maxPendingFramesPerConnection
        self.backlog = backlog
        self.drainTimeoutSeconds = drainTimeoutSeconds
    }
}
