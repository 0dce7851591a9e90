/// Limits and tolerances for parsing ER7.
public struct HL7ParseOptions: Hashable, Sendable {
    /// The most segments one input may hold (a limit on everything: DESIGN §1.5).
    public var maxSegments: Int
    /// Require segment ids of three upper-case letters or digits starting with a letter.
    /// When false, any id up to the first field separator is accepted.
    public var strictSegmentIDs: Bool
    /// How bytes that do not fit the declared character set are turned into text.
    public var characterSetFallback: HL7CharacterSet.Fallback

    /// Defaults: 100,000 segments, strict segment ids, UTF-8 then ISO-8859-1 fallback.
    public static let `default` = HL7ParseOptions()

    public init(maxSegments: Int = 100_000, strictSegmentIDs: Bool = true,
                characterSetFallback: HL7CharacterSet.Fallback = .utf8ThenLatin1) {
        self.maxSegments = maxSegments
        self.strictSegmentIDs = strictSegmentIDs
        self.characterSetFallback = characterSetFallback
    }
}
