public import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits an MLLP byte stream into frame payloads: `0x0B` payload `0x1C 0x0D` → payload.
///
/// A framer only frames: the payload is passed on unparsed, without its framing bytes (an empty
/// frame `0x0B 0x1C 0x0D` yields an empty buffer). Add it with
/// `ByteToMessageHandler(MLLPFrameDecoder(...))`.
///
/// **Events.** A `0x0B` fires ``MLLPFrameStarted`` (so a server can arm a frame deadline); a
/// complete frame goes on as a `channelRead` of its payload.
///
/// **Limits** (``MLLPFramingConfiguration``). A frame whose payload exceeds `maxFrameBytes`
/// fails with ``MLLPFramingError`` as soon as the excess is seen, not when the frame ends: the
/// decoder never holds more than the limit plus the bytes of one read. Bytes outside frames
/// are dropped as they are read and fail the stream past `maxJunkBytes` (or at once when junk
/// is not tolerated). After an error `ByteToMessageHandler` ignores further input; the owner
/// of the channel should close it.
///
/// **Decisions where MLLP is silent.**
/// - A second `0x0B` inside a frame drops the partial frame and restarts at the new start block
///   (a sender that gave up on a frame and began again); counted as `restarted_frame`, and
///   ``MLLPFrameStarted`` fires again.
/// - `0x1C` followed by anything but `0x0D` ends the frame when `toleratesMissingFinalCR`
///   (counted as `missing_final_cr`); the byte after it is read as outside a frame.
/// - At the end of the stream a partial frame is discarded (`partial_frame_discarded`); a frame
///   whose `0x1C` was the last byte is delivered when `toleratesMissingFinalCR`.
/// - Junk is counted from the end of the previous frame, so a sender that puts a newline after
///   every frame is never cut off.
///
/// **Cost.** Bytes are scanned with `memchr`, and bytes of a frame in progress that were already
/// scanned are not scanned again when more data arrives.
public struct MLLPFrameDecoder: ByteToMessageDecoder {
    /// The frame's payload.
    public typealias InboundOut = ByteBuffer

    /// The limits and tolerances in force.
    public let configuration: MLLPFramingConfiguration
    private let metrics: MLLPFramingMetrics

    /// Whether a `0x0B` has been consumed and the frame's end not yet seen.
    private var inFrame = false
    /// Payload bytes of the frame in progress (from the reader index) already scanned for
    /// `0x0B`/`0x1C` without finding either; a `0x1C` that was the last byte is not counted.
    private var scanned = 0
    /// Bytes outside frames since the end of the last frame.
    private var junkSinceLastFrame = 0
    /// True until the stream's first byte was looked at (a TLS handshake is recognised there).
    private var atStreamStart = true

    /// Creates a decoder.
    /// - Parameters:
    ///   - configuration: limits and tolerances (default ``MLLPFramingConfiguration/default``).
    ///   - metrics: where tolerated deviations are counted; share one instance per listener.
    public init(configuration: MLLPFramingConfiguration = .default, metrics: MLLPFramingMetrics = MLLPFramingMetrics()) {
        self.configuration = configuration
        self.metrics = metrics
    }

    /// What one step of decoding found.
    enum Event: Equatable {
        /// A `0x0B` was consumed.
        case frameStarted
        /// A complete frame's payload.
        case frame(ByteBuffer)
    }

    /// Decodes frames and fires their start events.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let event = try next(&buffer) else { return .needMoreData }
        Self.deliver(event, context: context)
        return .continue
    }

    /// At the end of the stream: delivers what is complete, then discards a partial frame (a
    /// frame whose `0x1C` is the last byte is complete when `toleratesMissingFinalCR`).
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let event = try next(&buffer) {
            Self.deliver(event, context: context)
        }
        if let frame = finish(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
        }
        return .needMoreData
    }

    private static func deliver(_ event: Event, context: ChannelHandlerContext) {
        switch event {
        case .frameStarted: context.fireUserInboundEventTriggered(MLLPFrameStarted())
        case .frame(let payload): context.fireChannelRead(wrapInboundOut(payload))
        }
    }

    /// One step: consumes junk, a start block or a whole frame from `buffer`. `nil` when more
    /// bytes are needed (everything that could be consumed was).
    mutating func next(_ buffer: inout ByteBuffer) throws(MLLPFramingError) -> Event? {
        inFrame ? try frameEnd(&buffer) : try frameStart(&buffer)
    }

    /// Outside a frame: drops junk up to the next `0x0B`, then consumes it.
    private mutating func frameStart(_ buffer: inout ByteBuffer) throws(MLLPFramingError) -> Event? {
        let readable = buffer.readableBytes
        guard readable > 0 else { return nil }
        if atStreamStart {
            // A TLS record header (handshake 0x16, version 0x03 0x0n) where MLLP expects 0x0B:
            // a client speaking TLS to the plain port. Refuse it clearly instead of framing
            // whatever bytes of its ClientHello happen to look like MLLP.
            guard readable >= 2 || buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) != 0x16 else { return nil }
            atStreamStart = false
            if buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 0x16,
               buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) == 0x03 {
                throw MLLPFramingError(.tlsOnPlainPort, "a TLS handshake on a plain MLLP port (use the TLS listener)", junkBytes: readable)
            }
        }
        let start = buffer.mllpOffset(of: MLLPFraming.startBlock, from: 0)
        let junk = start ?? readable
        if junk > 0 {
            let total = junkSinceLastFrame + junk
            guard configuration.toleratesJunkBeforeStartBlock else {
                throw MLLPFramingError(
                    .junkNotAllowed,
                    "byte 0x\(String(buffer.getInteger(at: buffer.readerIndex, as: UInt8.self)!, radix: 16)) outside a frame (expected 0x0b)",
                    junkBytes: junkSinceLastFrame + 1)
            }
            guard total <= configuration.maxJunkBytes else {
                throw MLLPFramingError(
                    .tooMuchJunk, "\(total) bytes outside a frame, more than the limit of \(configuration.maxJunkBytes)",
                    junkBytes: total, limit: configuration.maxJunkBytes)
            }
            junkSinceLastFrame = total
            metrics.record(.junkSkippedBytes, junk)
            buffer.moveReaderIndex(forwardBy: junk)
        }
        guard start != nil else { return nil }
        buffer.moveReaderIndex(forwardBy: 1)
        inFrame = true
        scanned = 0
        junkSinceLastFrame = 0
        return .frameStarted
    }

    /// Inside a frame: finds the end block (or a restarting start block) in the bytes not yet
    /// scanned, enforcing the size limit on what is held.
    private mutating func frameEnd(_ buffer: inout ByteBuffer) throws(MLLPFramingError) -> Event? {
        let readable = buffer.readableBytes
        let end = buffer.mllpOffset(of: MLLPFraming.endBlock, from: scanned)
        // A 0x0B before the end block (or anywhere when there is none yet) restarts the frame.
        if let restart = buffer.mllpOffset(of: MLLPFraming.startBlock, from: scanned, upTo: end ?? readable) {
            buffer.moveReaderIndex(forwardBy: restart + 1)
            scanned = 0
            metrics.record(.restartedFrame)
            return .frameStarted
        }
        guard let end else {
            scanned = readable
            try checkSize(readable)
            return nil
        }
        try checkSize(end)
        guard end + 1 < readable else {
            scanned = end  // look at this 0x1C again when the next byte arrives
            return nil
        }
        let after = buffer.getInteger(at: buffer.readerIndex + end + 1, as: UInt8.self)!
        let framing: Int
        if after == MLLPFraming.carriageReturn {
            framing = 2
        } else if configuration.toleratesMissingFinalCR {
            framing = 1
            metrics.record(.missingFinalCR)
        } else {
            throw MLLPFramingError(
                .endBlockWithoutCR, "0x1c followed by 0x\(String(after, radix: 16)) instead of 0x0d after \(end) payload bytes",
                frameBytes: end)
        }
        let payload = buffer.readSlice(length: end)!
        buffer.moveReaderIndex(forwardBy: framing)
        inFrame = false
        scanned = 0
        return .frame(payload)
    }

    private func checkSize(_ payloadBytes: Int) throws(MLLPFramingError) {
        guard payloadBytes > configuration.maxFrameBytes else { return }
        throw MLLPFramingError(
            .frameTooLarge, "frame of more than \(configuration.maxFrameBytes) bytes (\(payloadBytes) so far, no end block)",
            frameBytes: payloadBytes, limit: configuration.maxFrameBytes)
    }

    /// After the last ``next(_:)`` at the end of the stream: the frame ended by a final `0x1C`
    /// when that is tolerated; otherwise counts and drops a partial frame. Consumes everything.
    mutating func finish(_ buffer: inout ByteBuffer) -> ByteBuffer? {
        defer {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            inFrame = false
            scanned = 0
        }
        guard inFrame else { return nil }
        let readable = buffer.readableBytes
        if configuration.toleratesMissingFinalCR, readable > 0,
           buffer.getInteger(at: buffer.readerIndex + readable - 1, as: UInt8.self) == MLLPFraming.endBlock,
           scanned == readable - 1 {
            metrics.record(.missingFinalCR)
            return buffer.readSlice(length: readable - 1)
        }
        metrics.record(.partialFrameDiscarded)
        return nil
    }
}

extension ByteBuffer {
    /// The offset (from the reader index) of the first `byte` in readable bytes
    /// `[from, upTo)` (`upTo` defaults to the end), found with `memchr`.
    func mllpOffset(of byte: UInt8, from: Int, upTo: Int? = nil) -> Int? {
        withUnsafeReadableBytes { bytes -> Int? in
            let end = Swift.min(upTo ?? bytes.count, bytes.count)
            guard from < end, let base = bytes.baseAddress else { return nil }
            guard let hit = memchr(base + from, Int32(byte), end - from) else { return nil }
            return UnsafeRawPointer(hit) - base
        }
    }
}
