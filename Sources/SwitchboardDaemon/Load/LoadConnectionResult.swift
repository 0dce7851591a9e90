/// What one load connection measured.
struct LoadConnectionResult: Sendable {
    /// ACK latency of each answered message, in nanoseconds, from its first send.
    var latencies: [UInt64] = []
    var accepted = 0
    var notAccepted = 0
    var mismatched = 0
    /// Messages of this connection that never got an ACK (including any never sent).
    var unanswered = 0
    var resends = 0
    var reconnects = 0
}
