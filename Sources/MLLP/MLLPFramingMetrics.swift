public import Metrics

/// The counters ``MLLPFrameDecoder`` increments when it tolerates a deviation from strict MLLP:
/// `mllp_tolerated_total` with the dimension `kind`.
///
/// One instance can be shared by all connections of a listener. Tests pass their own
/// `MetricsFactory` (for example `MetricsTestKit.TestMetrics`) instead of the global one.
public struct MLLPFramingMetrics: Sendable {
    /// The counter's label.
    public static let label = "mllp_tolerated_total"

    /// The values of the `kind` dimension.
    public enum Kind: String, Sendable, CaseIterable {
        /// A frame ended by `0x1C` without the `0x0D` after it.
        case missingFinalCR = "missing_final_cr"
        /// Bytes outside frames that were skipped (incremented by the number of bytes).
        case junkSkippedBytes = "junk_skipped_bytes"
        /// A `0x0B` inside a frame that dropped the partial frame and started a new one.
        case restartedFrame = "restarted_frame"
        /// A partial frame discarded at the end of the stream.
        case partialFrameDiscarded = "partial_frame_discarded"
    }

    private let missingFinalCR: Counter
    private let junkSkippedBytes: Counter
    private let restartedFrame: Counter
    private let partialFrameDiscarded: Counter

    /// Creates the four counters with `factory` (default: the bootstrapped metrics system).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        func counter(_ kind: Kind) -> Counter {
            Counter(label: Self.label, dimensions: [("kind", kind.rawValue)], factory: factory)
        }
        missingFinalCR = counter(.missingFinalCR)
        junkSkippedBytes = counter(.junkSkippedBytes)
        restartedFrame = counter(.restartedFrame)
        partialFrameDiscarded = counter(.partialFrameDiscarded)
    }

    /// Adds `amount` to the counter of `kind`.
    func record(_ kind: Kind, _ amount: Int = 1) {
        switch kind {
        case .missingFinalCR: missingFinalCR.increment(by: Int64(amount))
        case .junkSkippedBytes: junkSkippedBytes.increment(by: Int64(amount))
        case .restartedFrame: restartedFrame.increment(by: Int64(amount))
        case .partialFrameDiscarded: partialFrameDiscarded.increment(by: Int64(amount))
        }
    }
}
