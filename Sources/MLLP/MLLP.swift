// MLLP: the Minimal Lower Layer Protocol (HL7 v2 Implementation Guide, appendix C) on bytes.
// Framing (decoder, encoder, limits), TLS configuration and a client. See docs/ARCHITECTURE.md.

/// The MLLP block characters: a frame is `startBlock` payload `endBlock` `carriageReturn`.
public enum MLLPFraming {
    /// `0x0B` (VT): starts a frame.
    public static let startBlock: UInt8 = 0x0B
    /// `0x1C` (FS): ends a frame's payload.
    public static let endBlock: UInt8 = 0x1C
    /// `0x0D` (CR): follows the end block.
    public static let carriageReturn: UInt8 = 0x0D
}
