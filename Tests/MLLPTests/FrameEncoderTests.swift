import NIOCore
import NIOEmbedded
import Testing
@testable import MLLP

@Suite("MLLP frame encoder")
struct FrameEncoderTests {
    @Test func wrapsPayloadInBlockCharacters() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(MLLPFrameEncoder()))
        try channel.writeOutbound(payload("MSH|^~\\&|A\r"))
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(written == wire("<VT>MSH|^~\\&|A<CR><FS><CR>"))
        _ = try channel.finish()
    }

    @Test func roundTripsThroughTheDecoder() throws {
        let payloads = ["MSH|^~\\&|A|B\rPID|1\r", "", String(repeating: "z", count: 70_000)]
        let encoder = EmbeddedChannel(handler: MessageToByteHandler(MLLPFrameEncoder()))
        let harness = try DecoderHarness()
        for text in payloads {
            try encoder.writeOutbound(payload(text))
            let bytes = try #require(try encoder.readOutbound(as: ByteBuffer.self))
            try harness.channel.writeInbound(bytes)
        }
        #expect(harness.recorder.frames.map { String(buffer: $0) } == payloads)
        #expect(harness.tolerated(.missingFinalCR) == 0)
        _ = try encoder.finish()
    }
}
