import NIOCore
import NIOEmbedded
import Testing
@testable import MLLP

/// TESTPLAN T13 at the decoder: oversized frames and junk fail early, with memory bounded.
@Suite("MLLP frame limits")
struct FrameLimitTests {
    @Test func frameAtTheLimitPassesOneMoreByteFails() throws {
        let config = MLLPFramingConfiguration(maxFrameBytes: 16)
        let harness = try DecoderHarness(config)
        try harness.write("<VT>\(String(repeating: "a", count: 16))<FS><CR>")
        #expect(harness.recorder.frames.first?.readableBytes == 16)
        var thrown: MLLPFramingError?
        do { try harness.write("<VT>\(String(repeating: "b", count: 17))<FS><CR>") } catch let error as MLLPFramingError { thrown = error }
        #expect(thrown?.code == .frameTooLarge)
        #expect(thrown?.frameBytes == 17)
        #expect(thrown?.limit == 16)
        #expect(harness.recorder.frames.count == 1)
    }

    /// 0x0B + 64 MiB without 0x1C, fed as a socket would (64 KiB reads) into the decoder driven
    /// the way `ByteToMessageHandler` drives it: the error comes within one read of the limit
    /// and the bytes held never exceed the limit plus one read.
    @Test func oversizedFrameFailsWithBoundedMemory() throws {
        let limit = 1_048_576, chunk = 65_536
        var decoder = MLLPFrameDecoder()
        var cumulation = ByteBuffer(bytes: [0x0B])
        let block = ByteBuffer(repeating: UInt8(ascii: "x"), count: chunk)
        var fed = 1, highWater = 0
        var thrown: MLLPFramingError?
        feeding: while fed < 64 << 20 {
            cumulation.writeImmutableBuffer(block)
            fed += chunk
            highWater = max(highWater, cumulation.readableBytes)
            do {
                while try decoder.next(&cumulation) != nil {}
            } catch {
                thrown = error
                break feeding
            }
            highWater = max(highWater, cumulation.readableBytes)
        }
        #expect(thrown?.code == .frameTooLarge)
        #expect(fed <= limit + chunk + 1)
        #expect(highWater <= limit + chunk)
    }

    /// The same through the real `ByteToMessageHandler`: the channel errors before more than
    /// the limit plus one read has been written into it.
    @Test func oversizedFrameClosesThePipelineEarly() throws {
        let harness = try DecoderHarness()
        let chunk = 65_536
        var fed = 0
        var thrown: (any Error)?
        try harness.write("<VT>")
        let block = ByteBuffer(repeating: UInt8(ascii: "y"), count: chunk)
        while fed < 64 << 20, thrown == nil {
            do { try harness.channel.writeInbound(block) } catch { thrown = error }
            fed += chunk
        }
        #expect((thrown as? MLLPFramingError)?.code == .frameTooLarge)
        #expect(fed <= 1_048_576 + chunk)
    }

    @Test func junkIsNeverBufferedAndFailsPastTheLimit() throws {
        var decoder = MLLPFrameDecoder()
        var cumulation = ByteBuffer()
        let block = ByteBuffer(repeating: UInt8(ascii: "j"), count: 100)
        var fed = 0
        var thrown: MLLPFramingError?
        while fed < 10 << 20, thrown == nil {
            cumulation.writeImmutableBuffer(block)
            fed += 100
            do { while try decoder.next(&cumulation) != nil {} } catch { thrown = error }
            if thrown == nil { #expect(cumulation.readableBytes == 0) }
        }
        #expect(thrown?.code == .tooMuchJunk)
        #expect(thrown?.junkBytes == 1100)
        #expect(fed == 1100)
    }

    @Test func junkCountRestartsAfterEachFrame() throws {
        let harness = try DecoderHarness(MLLPFramingConfiguration(maxJunkBytes: 4))
        for _ in 0..<10 { try harness.write("\r\n\r\n<VT>A<FS><CR>") }
        #expect(harness.recorder.frames.count == 10)
        #expect {
            try harness.write("12345")
        } throws: { ($0 as? MLLPFramingError)?.code == .tooMuchJunk }
    }

    @Test func restartDoesNotEscapeTheSizeLimit() throws {
        // Restarting frames drop what they held: each restart begins a fresh count.
        let harness = try DecoderHarness(MLLPFramingConfiguration(maxFrameBytes: 8))
        for _ in 0..<100 { try harness.write("<VT>1234567") }
        try harness.write("<VT>ok<FS><CR>")
        #expect(harness.recorder.frames.map { String(buffer: $0) } == ["ok"])
        #expect(harness.tolerated(.restartedFrame) == 100)
    }

    @Test func errorDescriptionNamesCodeAndCounts() {
        let error = MLLPFramingError(.frameTooLarge, "frame of more than 16 bytes (17 so far, no end block)", frameBytes: 17, limit: 16)
        #expect(error.description == "MLLP framing: frameTooLarge: frame of more than 16 bytes (17 so far, no end block)")
    }
}
