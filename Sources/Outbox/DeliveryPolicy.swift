// How a destination is delivered to: timeouts, retries, backoff.

/// Per-destination delivery settings (defaults suit an MLLP partner on a hospital network).
public struct DeliveryPolicy: Sendable, Hashable {
    /// Sends per message before it is dead-lettered (first send included). Default 10.
    public var maxAttempts: Int = 10
    /// The wait before the second attempt; each later one doubles it. Default 1 s.
    public var initialBackoffMilliseconds: Int64 = 1_000
    /// The longest wait between attempts. Default 5 minutes.
    public var maxBackoffMilliseconds: Int64 = 300_000
    /// How long to wait for the ACK of a sent frame. Default 30 s.
    public var ackTimeoutMilliseconds: Int64 = 30_000
    /// How long a connect may take. Default 10 s.
    public var connectTimeoutMilliseconds: Int64 = 10_000

    public init() {}

    /// The wait after failed attempt number `attempts` (1-based): "equal jitter", half fixed and
    /// half random, on an exponential base capped at ``maxBackoffMilliseconds``. `random` is in
    /// 0..<1 (injected: tests pass fixed values).
    public func backoff(afterAttempt attempts: Int, random: Double) -> Int64 {
        let exponent = min(max(attempts - 1, 0), 40)
        let base = min(maxBackoffMilliseconds, initialBackoffMilliseconds.multipliedReportingOverflow(by: Int64(1) << exponent).overflow
            ? maxBackoffMilliseconds : initialBackoffMilliseconds << exponent)
        let half = base / 2
        return half + Int64(Double(base - half) * min(max(random, 0), 0.999_999))
    }
}
