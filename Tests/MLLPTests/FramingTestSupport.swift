import MetricsTestKit
import NIOCore
import NIOEmbedded
@testable import MLLP

/// Bytes written as a string with `<VT>`, `<FS>` and `<CR>` standing for 0x0B, 0x1C, 0x0D.
func wire(_ text: String) -> ByteBuffer {
    var bytes: [UInt8] = []
    var rest = Substring(text)
    while !rest.isEmpty {
        if rest.hasPrefix("<VT>") { bytes.append(0x0B); rest = rest.dropFirst(4) }
        else if rest.hasPrefix("<FS>") { bytes.append(0x1C); rest = rest.dropFirst(4) }
        else if rest.hasPrefix("<CR>") { bytes.append(0x0D); rest = rest.dropFirst(4) }
        else { bytes.append(contentsOf: rest.first!.utf8); rest = rest.dropFirst() }
    }
    return ByteBuffer(bytes: bytes)
}

/// A payload buffer from text.
func payload(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

/// Records what leaves the decoder, in order: `start`, `frame:<payload>`.
final class FramingRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var events: [String] = []
    var frames: [ByteBuffer] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        frames.append(frame)
        events.append("frame:" + String(buffer: frame))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is MLLPFrameStarted { events.append("start") }
        context.fireUserInboundEventTriggered(event)
    }
}

/// A decoder in an `EmbeddedChannel` followed by a ``FramingRecorder``, with its own metrics.
struct DecoderHarness {
    let channel: EmbeddedChannel
    let recorder = FramingRecorder()
    let metrics = TestMetrics()

    init(_ configuration: MLLPFramingConfiguration = .default) throws {
        channel = EmbeddedChannel()
        let decoder = MLLPFrameDecoder(configuration: configuration, metrics: MLLPFramingMetrics(factory: metrics))
        try channel.pipeline.syncOperations.addHandlers(ByteToMessageHandler(decoder), recorder)
    }

    func write(_ text: String) throws { try channel.writeInbound(wire(text)) }

    /// The total of `mllp_tolerated_total{kind}`.
    func tolerated(_ kind: MLLPFramingMetrics.Kind) -> Int64 {
        (try? metrics.expectCounter(MLLPFramingMetrics.label, [("kind", kind.rawValue)]).totalValue) ?? 0
    }
}
