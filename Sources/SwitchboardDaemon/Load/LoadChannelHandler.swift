import NIOCore

/// The per-channel end of a ``LoadConnection``: hands frames and connection events to it,
/// tagged with the connection attempt (`generation`) so events of a replaced channel are ignored.
final class LoadChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let driver: LoadConnection
    private let generation: Int
    private(set) var context: ChannelHandlerContext?

    init(driver: LoadConnection, generation: Int) {
        self.driver = driver
        self.generation = generation
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        driver.connected(generation: generation, handler: self)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        driver.received(generation: generation, frame: unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        driver.lost(generation: generation)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Writes and flushes framed bytes.
    func send(_ bytes: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }
}
