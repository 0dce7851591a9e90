// HL7 and HL7XML are compiled as one module for the fuzzer (scripts/fuzz.sh).
#if canImport(HL7)
public import HL7
#endif

/// Limits for reading HL7 v2.xml (a limit on everything: DESIGN §1). Checked before and while
/// parsing, so hostile documents are refused early with bounded memory.
public struct HL7XMLOptions: Hashable, Sendable {
    /// The largest document accepted, checked before libxml2 sees a byte. Default 1 MiB.
    public var maxDocumentBytes: Int
    /// The deepest element nesting accepted (root = 1). HL7 v2.xml needs about 8 (root, a few
    /// groups, segment, field, component, subcomponent). Default 64.
    public var maxDepth: Int
    /// The longest text of one value (bytes, after escaping). Default 1 MiB.
    public var maxValueBytes: Int
    /// The highest field, component or subcomponent number accepted (`PID.5000`). Default 1,000.
    public var maxPosition: Int
    /// Options for parsing the equivalent ER7 message.
    public var er7: HL7ParseOptions

    /// 1 MiB documents, depth 64, 1 MiB values, positions up to 1,000.
    public static let `default` = HL7XMLOptions()

    public init(maxDocumentBytes: Int = 1 << 20, maxDepth: Int = 64, maxValueBytes: Int = 1 << 20,
                maxPosition: Int = 1_000, er7: HL7ParseOptions = .default) {
        self.maxDocumentBytes = maxDocumentBytes
        self.maxDepth = maxDepth
        self.maxValueBytes = maxValueBytes
        self.maxPosition = maxPosition
        self.er7 = er7
    }
}
