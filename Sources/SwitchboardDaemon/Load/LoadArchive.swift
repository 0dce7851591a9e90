// The messages `bench load` sends, written as an MLLP archive instead: the same bytes replayed
// with `switchboard replay --to` compare the replay client with the load generator.
public import MLLP
import NIOCore

extension LoadGenerator {
    /// The MLLP-framed messages a run of `configuration` would send, connection by connection
    /// interleaved (message 1 of each connection, then message 2, ...), so that a replay over
    /// the same number of connections gives each connection its own messages in order.
    public static func archive(_ configuration: LoadConfiguration) -> [UInt8] {
        let templates = (0..<configuration.connections).map {
            LoadMessageTemplate(runID: configuration.runID, connection: $0 + 1, size: configuration.size)
        }
        let shares = (0..<configuration.connections).map(configuration.share(of:))
        var buffer = ByteBuffer()
        buffer.reserveCapacity(configuration.messages * (templates.first?.maxFrameBytes ?? 0))
        for sequence in 1...max(1, shares.max() ?? 0) {
            for (index, template) in templates.enumerated() where sequence <= shares[index] {
                template.write(sequence: sequence, into: &buffer)
            }
        }
        return Array(buffer.readableBytesView)
    }
}
