/// Limits and tolerances of ``MLLPFrameDecoder`` (TESTPLAN "Resource limits", T13).
///
/// The defaults accept what real senders produce (a missing CR after `0x1C`, a stray newline
/// between frames) while bounding the memory one connection can make the decoder hold.
public struct MLLPFramingConfiguration: Sendable, Hashable {
    /// The largest payload (bytes between `0x0B` and `0x1C`, framing excluded) accepted.
    ///
    /// Default 1 MiB (1,048,576). The decoder fails with ``MLLPFramingError/Code/frameTooLarge``
    /// as soon as a frame in progress holds more, without waiting for its end, so a connection
    /// never makes it buffer much more than this (plus one read).
    public var maxFrameBytes: Int

    /// The most bytes accepted outside frames before a start block (counted from the end of the
    /// previous frame, or the start of the connection).
    ///
    /// Default 1024. More fails with ``MLLPFramingError/Code/tooMuchJunk``. Junk is counted and
    /// dropped as it is read, never buffered.
    public var maxJunkBytes: Int

    /// Whether a `0x1C` not followed by `0x0D` still ends the frame.
    ///
    /// Default `true`: the frame is delivered, the byte after `0x1C` is read as outside a frame
    /// (usually the next `0x0B`), and the tolerance is counted (`kind=missing_final_cr`). At the
    /// end of the stream a frame ended by `0x1C` alone is delivered too. When `false`, the
    /// decoder fails with ``MLLPFramingError/Code/endBlockWithoutCR``.
    public var toleratesMissingFinalCR: Bool

    /// Whether bytes outside frames (before a `0x0B`) are skipped.
    ///
    /// Default `true`: up to ``maxJunkBytes`` of them are dropped and counted
    /// (`kind=junk_skipped_bytes`). When `false`, the first such byte fails with
    /// ``MLLPFramingError/Code/junkNotAllowed``.
    public var toleratesJunkBeforeStartBlock: Bool

    /// Creates a configuration; every argument defaults to the documented default.
    /// - Precondition: `maxFrameBytes >= 0` and `maxJunkBytes >= 0`.
    public init(maxFrameBytes: Int = 1_048_576, maxJunkBytes: Int = 1024,
                toleratesMissingFinalCR: Bool = true, toleratesJunkBeforeStartBlock: Bool = true) {
        precondition(maxFrameBytes >= 0 && maxJunkBytes >= 0, "MLLP limits must not be negative")
        self.maxFrameBytes = maxFrameBytes
        self.maxJunkBytes = maxJunkBytes
        self.toleratesMissingFinalCR = toleratesMissingFinalCR
        self.toleratesJunkBeforeStartBlock = toleratesJunkBeforeStartBlock
    }

    /// The defaults: 1 MiB frames, 1 KiB of junk, missing final CR and junk tolerated.
    public static let `default` = MLLPFramingConfiguration()
}
