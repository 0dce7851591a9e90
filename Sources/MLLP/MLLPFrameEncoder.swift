public import NIOCore

/// Wraps each outbound payload as `0x0B` payload `0x1C 0x0D`.
///
/// Add it with `MessageToByteHandler(MLLPFrameEncoder())`. The payload is written as is: it must
/// not contain `0x1C` (HL7 text never does; the encoder does not scan for it).
public struct MLLPFrameEncoder: MessageToByteEncoder, Sendable {
    /// A frame's payload.
    public typealias OutboundIn = ByteBuffer

    /// Creates an encoder.
    public init() {}

    /// Writes `0x0B`, the payload, `0x1C 0x0D` to `out`.
    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        out.reserveCapacity(minimumWritableBytes: data.readableBytes + 3)
        out.writeInteger(MLLPFraming.startBlock)
        out.writeImmutableBuffer(data)
        out.writeInteger(MLLPFraming.endBlock)
        out.writeInteger(MLLPFraming.carriageReturn)
    }
}
