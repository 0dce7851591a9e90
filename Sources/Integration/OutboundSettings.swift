// How outbound messages are addressed: our MSH-3/4, each destination's MSH-5/6 and encoding.

/// A destination's addressing (config `destinations:`): who the messages are for and in which
/// encoding. Where it is (host, port, TLS) is the dispatcher's business.
public struct OutboundAddressing: Sendable, Hashable {
    public enum Encoding: String, Sendable, Hashable {
        case er7, xml
    }

    /// MSH-5 and MSH-6 of the messages.
    public var receivingApplication: String
    public var receivingFacility: String
    public var encoding: Encoding

    public init(receivingApplication: String = "", receivingFacility: String = "", encoding: Encoding = .er7) {
        self.receivingApplication = receivingApplication
        self.receivingFacility = receivingFacility
        self.encoding = encoding
    }
}

/// Everything outbound messages are built with.
public struct OutboundSettings: Sendable, Hashable {
    /// MSH-3 and MSH-4 of our messages.
    public var sendingApplication = "SWITCHBOARD"
    public var sendingFacility = "SWITCHBOARD"
    /// MSH-11: P production, T training, D debugging.
    public var processingID = "P"
    /// Per destination name; a destination not listed gets its name as MSH-5 and ER7.
    public var destinations: [String: OutboundAddressing] = [:]

    public init() {}

    public func addressing(of destination: String) -> OutboundAddressing {
        destinations[destination] ?? OutboundAddressing(receivingApplication: destination.uppercased())
    }
}
