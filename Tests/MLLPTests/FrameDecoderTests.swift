import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
@testable import MLLP

@Suite("MLLP frame decoder")
struct FrameDecoderTests {
    @Test func verifierDripFeedsAndBatchesFrames() throws {
        let pairs: [(ByteBuffer, [ByteBuffer])] = [
            (wire("<VT>MSH|^~\\&|A|B<CR>PID|1<CR><FS><CR>"), [payload("MSH|^~\\&|A|B\rPID|1\r")]),
            (wire("<VT><FS><CR>"), [payload("")]),
            (wire("\r\n<VT>after junk<FS><CR>"), [payload("after junk")]),
            (wire("<VT>one<FS><CR><VT>two<FS><CR>"), [payload("one"), payload("two")]),
            (wire("<VT>no cr<FS><VT>next<FS><CR>"), [payload("no cr"), payload("next")]),
            (wire("<VT>abandoned<VT>restarted<FS><CR>"), [payload("restarted")]),
            (wire("<VT>\(String(repeating: "x", count: 3000))<FS><CR>"), [payload(String(repeating: "x", count: 3000))]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { MLLPFrameDecoder() }
    }

    @Test func manyFramesInOneRead() throws {
        let harness = try DecoderHarness()
        var all = ByteBuffer()
        for i in 0..<200 { all.writeImmutableBuffer(wire("<VT>MSH|\(i)<FS><CR>")) }
        try harness.channel.writeInbound(all)
        #expect(harness.recorder.frames.map { String(buffer: $0) } == (0..<200).map { "MSH|\($0)" })
        #expect(harness.recorder.events.filter { $0 == "start" }.count == 200)
    }

    @Test func endBlockSplitAcrossReads() throws {
        let harness = try DecoderHarness()
        try harness.write("<VT>ABC<FS>")
        #expect(harness.recorder.frames.isEmpty)
        try harness.write("<CR><VT>D<FS>")
        try harness.write("<CR>")
        #expect(harness.recorder.events == ["start", "frame:ABC", "start", "frame:D"])
        #expect(harness.tolerated(.missingFinalCR) == 0)
    }

    @Test func emptyFrameYieldsEmptyPayload() throws {
        let harness = try DecoderHarness()
        try harness.write("<VT><FS><CR>")
        #expect(harness.recorder.frames.count == 1)
        #expect(harness.recorder.frames.first?.readableBytes == 0)
    }

    @Test func frameStartedFiresAtTheStartBlockBeforeTheFrame() throws {
        let harness = try DecoderHarness()
        try harness.write("<VT>MS")
        #expect(harness.recorder.events == ["start"])
        try harness.write("H<FS><CR>")
        #expect(harness.recorder.events == ["start", "frame:MSH"])
    }

    @Test func missingFinalCRIsToleratedAndCounted() throws {
        let harness = try DecoderHarness()
        try harness.write("<VT>A<FS><VT>B<FS>")
        #expect(harness.recorder.events == ["start", "frame:A", "start"])
        try harness.write("X")  // not CR: ends B; X is junk outside a frame
        #expect(harness.recorder.events == ["start", "frame:A", "start", "frame:B"])
        #expect(harness.tolerated(.missingFinalCR) == 2)
        #expect(harness.tolerated(.junkSkippedBytes) == 1)
    }

    @Test func missingFinalCRRefusedWhenStrict() throws {
        let harness = try DecoderHarness(MLLPFramingConfiguration(toleratesMissingFinalCR: false))
        #expect {
            try harness.write("<VT>A<FS><VT>")
        } throws: { ($0 as? MLLPFramingError)?.code == .endBlockWithoutCR }
        #expect(harness.recorder.frames.isEmpty)
    }

    @Test func secondStartBlockRestartsTheFrame() throws {
        let harness = try DecoderHarness()
        try harness.write("<VT>half a mess")
        try harness.write("age<VT>whole<FS><CR>")
        #expect(harness.recorder.events == ["start", "start", "frame:whole"])
        #expect(harness.tolerated(.restartedFrame) == 1)
    }

    @Test func junkBeforeStartBlockIsSkippedAndCounted() throws {
        let harness = try DecoderHarness()
        try harness.write("\r\n\n<VT>A<FS><CR>\n")
        try harness.write("  <VT>B<FS><CR>")
        #expect(harness.recorder.frames.map { String(buffer: $0) } == ["A", "B"])
        #expect(harness.tolerated(.junkSkippedBytes) == 6)
    }

    @Test func junkRefusedWhenNotTolerated() throws {
        let harness = try DecoderHarness(MLLPFramingConfiguration(toleratesJunkBeforeStartBlock: false))
        try harness.write("<VT>A<FS><CR>")
        var thrown: MLLPFramingError?
        do { try harness.write("\n<VT>B<FS><CR>") } catch let error as MLLPFramingError { thrown = error }
        #expect(thrown?.code == .junkNotAllowed)
        #expect(thrown?.junkBytes == 1)
        #expect(harness.recorder.frames.map { String(buffer: $0) } == ["A"])
    }

    @Test func endOfStreamDeliversFrameEndedByFinalEndBlock() throws {
        let harness = try DecoderHarness()
        try harness.write("<VT>last<FS>")
        _ = try harness.channel.finish()
        #expect(harness.recorder.events == ["start", "frame:last"])
        #expect(harness.tolerated(.missingFinalCR) == 1)
        #expect(harness.tolerated(.partialFrameDiscarded) == 0)
    }

    @Test func endOfStreamDiscardsPartialFrame() throws {
        let harness = try DecoderHarness()
        try harness.write("<VT>A<FS><CR><VT>cut off")
        _ = try harness.channel.finish()
        #expect(harness.recorder.events == ["start", "frame:A", "start"])
        #expect(harness.tolerated(.partialFrameDiscarded) == 1)
    }

    @Test func endOfStreamStrictDiscardsFrameWithoutFinalCR() throws {
        let harness = try DecoderHarness(MLLPFramingConfiguration(toleratesMissingFinalCR: false))
        try harness.write("<VT>last<FS>")
        _ = try harness.channel.finish()
        #expect(harness.recorder.frames.isEmpty)
        #expect(harness.tolerated(.partialFrameDiscarded) == 1)
    }

    @Test func endBlockInsideCarriedOverScanIsFoundOnce() throws {
        // Drip-fed one byte at a time, a payload with CRs and the end block arriving last.
        let harness = try DecoderHarness()
        for byte in wire("<VT>MSH|1<CR>PID|1<CR><FS><CR>").readableBytesView {
            try harness.channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(harness.recorder.events == ["start", "frame:MSH|1\rPID|1\r"])
    }
}

@Suite("TLS on a plain port")
struct TLSOnPlainPortTests {
    @Test func aClientHelloAtStreamStartIsRefused() throws {
        var decoder = MLLPFrameDecoder()
        var buffer = ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03, 0x0B, 0x1C])
        #expect(throws: MLLPFramingError.self) { _ = try decoder.next(&buffer) }
    }

    @Test func theSameBytesLaterAreOrdinaryJunk() throws {
        var decoder = MLLPFrameDecoder()
        var buffer = ByteBuffer(bytes: [0x0B, 0x41, 0x1C, 0x0D, 0x16, 0x03, 0x01, 0x0B, 0x42, 0x1C, 0x0D])
        var frames: [ByteBuffer] = []
        while let event = try decoder.next(&buffer) {
            if case .frame(let payload) = event { frames.append(payload) }
        }
        #expect(frames.map { String(buffer: $0) } == ["A", "B"])
    }
}
