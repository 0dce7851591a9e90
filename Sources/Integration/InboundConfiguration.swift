// What the inbound pipeline accepts, and its limits (DESIGN §1.5: a limit on everything).
public import HL7
public import HL7XML

/// The inbound pipeline's settings. Every default is what a new installation runs with.
public struct InboundConfiguration: Sendable {
    /// Message types and, per type, the trigger events Switchboard handles (DESIGN §5).
    /// Anything else is answered AR with ERR 200 (type) or 201 (event).
    public var supportedEvents: [String: Set<String>] = [
        "ADT": ["A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A11", "A12", "A13", "A28", "A31", "A40"],
        "SIU": ["S12", "S13", "S14", "S15", "S17", "S26"],
        "REF": ["I12", "I13", "I14"],
        "RRI": ["I12"],
    ]
    /// Accepted MSH-12 versions: v2.3 to v2.8 (DESIGN §5). Others get AR with ERR 203.
    public var supportedVersions: Set<String> = ["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8", "2.8.1", "2.8.2"]
    /// Accepted MSH-11.1 processing ids (HL7 table 0103: P production, T training, D debugging).
    /// Others get AR with ERR 202. A production installation may narrow this to `["P"]`.
    public var acceptedProcessingIDs: Set<String> = ["P", "T", "D"]
    /// How much of a quarantined frame (not HL7, unparseable header) is kept in its journal
    /// record; the full length and hash are kept regardless. Default 64 KiB, so a flood of junk
    /// cannot fill the disk at frame size per frame.
    public var quarantineMaxBytes: Int = 64 * 1024
    /// Appends in flight (all connections) before new messages are answered AR/207 "overloaded"
    /// instead of queued. Default 8,192: far above what the connection limits allow in normal
    /// operation (64 connections × 64 pipelined frames), so only a bug or a stalled disk trips it.
    public var maxInFlight: Int = 8_192
    /// ER7 parsing limits.
    public var parseOptions: HL7ParseOptions = .default
    /// HL7 v2.xml parsing limits.
    public var xmlOptions: HL7XMLOptions = .default
    /// MSH-3/MSH-4 of our ACKs when the sender left MSH-5/MSH-6 empty.
    public var receivingApplication: String = "SWITCHBOARD"

    public init() {}
}
