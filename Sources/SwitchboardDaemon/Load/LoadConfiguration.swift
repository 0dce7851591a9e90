/// What `switchboard bench load` runs (TESTPLAN "Load generator behaviour").
public struct LoadConfiguration: Sendable, Hashable {
    /// Where to send.
    public var endpoint: MLLPEndpoint
    /// Connections, each with its own share of the messages.
    public var connections: Int
    /// Frames in flight per connection (1: wait for each ACK before the next message).
    public var window: Int
    /// Messages in total, split evenly over the connections.
    public var messages: Int
    /// Approximate payload size in bytes; the message is padded with an OBX segment to reach
    /// it (0 or less than the natural size: no padding).
    public var size: Int
    /// The run id: MSH-10 is `<run>-<connection>-<sequence>` (from 1).
    public var runID: String
    /// How long to wait for the oldest unanswered ACK of a connection.
    public var ackTimeout: Duration
    /// On an ACK timeout or a lost connection: reconnect and resend the same bytes until an
    /// ACK arrives (`true`), or count the unanswered messages as failures and stop that
    /// connection (`false`).
    public var resendOnTimeout: Bool
    /// Consecutive failed reconnects after which a resending connection gives up.
    public var maxReconnectAttempts: Int
    /// Total send rate in messages per second, spread evenly over the connections (each sends
    /// at fixed intervals, still within its window); `nil`: as fast as ACKs come back.
    public var ratePerSecond: Double?

    /// Creates a configuration.
    public init(endpoint: MLLPEndpoint, connections: Int = 1, window: Int = 1, messages: Int, size: Int = 0,
                runID: String, ackTimeout: Duration = .seconds(5), resendOnTimeout: Bool = false, maxReconnectAttempts: Int = 60,
                ratePerSecond: Double? = nil) {
        self.ratePerSecond = ratePerSecond
        self.endpoint = endpoint
        self.connections = connections
        self.window = window
        self.messages = messages
        self.size = size
        self.runID = runID
        self.ackTimeout = ackTimeout
        self.resendOnTimeout = resendOnTimeout
        self.maxReconnectAttempts = maxReconnectAttempts
    }

    /// How many messages connection `index` (from 0) sends.
    func share(of index: Int) -> Int {
        messages / connections + (index < messages % connections ? 1 : 0)
    }
}
