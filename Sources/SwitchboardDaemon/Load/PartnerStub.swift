// A test partner for outbound delivery: an MLLP listener that acknowledges what it receives,
// optionally misbehaving (TESTPLAN T10: dropped connections, AR, a wrong MSA-2).
import Foundation
import HL7
import HL7XML
import MLLP
import NIOCore
import NIOPosix
import Synchronization

/// How the stub misbehaves, in percent of frames received (drawn independently per frame).
public struct PartnerStubFaults: Sendable, Equatable {
    /// Close the connection after reading the frame, with no answer.
    public var dropPercent: Double = 0
    /// Answer AR (the sender should retry).
    public var rejectPercent: Double = 0
    /// Answer AA for another control id (a stale ACK: the sender must not count it).
    public var wrongIDPercent: Double = 0
    /// Seed of the draws (the same seed gives the same sequence of faults).
    public var seed: UInt64 = 1

    public init(dropPercent: Double = 0, rejectPercent: Double = 0, wrongIDPercent: Double = 0, seed: UInt64 = 1) {
        self.dropPercent = dropPercent
        self.rejectPercent = rejectPercent
        self.wrongIDPercent = wrongIDPercent
        self.seed = seed
    }
}

/// What the stub did with one frame.
public struct PartnerStubReceipt: Sendable, Codable, Equatable {
    public var controlID: String
    public var messageType: String
    /// `AA`, `AR`, `wrong-id` or `dropped`.
    public var answer: String

    enum CodingKeys: String, CodingKey {
        case controlID = "control_id", messageType = "type", answer
    }
}

/// An MLLP listener that answers every message (ER7 or XML) with an ACK, or misbehaves.
public final class PartnerStub: Sendable {
    public let port: Int
    private let channel: any Channel
    private let state: State

    final class State: Sendable {
        let faults: PartnerStubFaults
        let random: Mutex<UInt64>
        let onReceipt: @Sendable (PartnerStubReceipt) -> Void
        let received = Atomic<Int>(0)

        init(faults: PartnerStubFaults, onReceipt: @escaping @Sendable (PartnerStubReceipt) -> Void) {
            self.faults = faults
            self.random = Mutex(faults.seed == 0 ? 0x9E37_79B9_7F4A_7C15 : faults.seed)
            self.onReceipt = onReceipt
        }

        /// A draw in 0..<100 (xorshift64*).
        func draw() -> Double {
            random.withLock { x in
                x ^= x >> 12
                x ^= x << 25
                x ^= x >> 27
                return Double((x &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 53) * 100
            }
        }
    }

    private init(port: Int, channel: any Channel, state: State) {
        self.port = port
        self.channel = channel
        self.state = state
    }

    /// Frames received so far.
    public var received: Int { state.received.load(ordering: .relaxed) }

    /// Starts listening on `host:port` (port 0: a free one). `onReceipt` is called for every
    /// frame, on an event loop.
    public static func start(
        host: String = "127.0.0.1", port: Int = 0, faults: PartnerStubFaults = PartnerStubFaults(),
        onReceipt: @escaping @Sendable (PartnerStubReceipt) -> Void = { _ in }
    ) async throws -> PartnerStub {
        let state = State(faults: faults, onReceipt: onReceipt)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let handlers = child.pipeline.syncOperations
                    try handlers.addHandler(ByteToMessageHandler(MLLPFrameDecoder(configuration: .init(maxFrameBytes: 16 << 20))))
                    try handlers.addHandler(MessageToByteHandler(MLLPFrameEncoder()))
                    try handlers.addHandler(Answerer(state: state))
                }
            }
            .bind(host: host, port: port).get()
        return PartnerStub(port: channel.localAddress?.port ?? port, channel: channel, state: state)
    }

    /// Stops listening and closes the open connections' listener (connections close as their
    /// peers go).
    public func stop() async {
        try? await channel.close()
    }

    final class Answerer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let state: State
        init(state: State) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = Array(unwrapInboundIn(data).readableBytesView)
            state.received.add(1, ordering: .relaxed)
            let message = HL7XMLReader.looksLikeXML(frame) ? try? HL7XMLReader.message(frame) : try? HL7Message(parsing: frame)
            let header = message?.header
            let controlID = header?.controlID ?? ""
            let type = header.map { "\($0.messageCode)^\($0.triggerEvent)" } ?? ""
            let faults = state.faults
            let draw = state.draw()
            let answer: String
            if draw < faults.dropPercent {
                answer = "dropped"
            } else if draw < faults.dropPercent + faults.rejectPercent {
                answer = "AR"
            } else if draw < faults.dropPercent + faults.rejectPercent + faults.wrongIDPercent {
                answer = "wrong-id"
            } else {
                answer = message == nil ? "AR" : "AA"
            }
            state.onReceipt(PartnerStubReceipt(controlID: controlID, messageType: type, answer: answer))
            if answer == "dropped" {
                context.close(promise: nil)
                return
            }
            let code = answer == "wrong-id" ? "AA" : answer
            let acknowledged = answer == "wrong-id" ? controlID + "-OTHER" : controlID
            let time = HL7Timestamp(secondsSince1970: Int(Date().timeIntervalSince1970)).description
            let ack = "MSH|^~\\&|PARTNER|STUB|\(header?.sendingApplication ?? "")|\(header?.sendingFacility ?? "")|\(time)||ACK|A\(acknowledged)|P|2.5.1\rMSA|\(code)|\(acknowledged)\r"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: ack)), promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
