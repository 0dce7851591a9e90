/// A value's text with its HL7 formatting escapes kept as structure.
///
/// `\.br\`, `\.sp\`, `\H\` and the others mean something to a display; a caller that renders
/// reports can walk ``pieces``; a caller that needs a plain string uses ``plainText``.
public struct HL7FormattedText: Hashable, Sendable {
    /// One run of text or one formatting instruction.
    public enum Piece: Hashable, Sendable {
        /// Literal text.
        case text(String)
        /// `\.br\`: begin a new output line.
        case lineBreak
        /// `\.sp n\`: end the line and skip `n` vertical spaces (n ≥ 1).
        case verticalSpace(Int)
        /// `\.sk n\`: skip `n` spaces to the right.
        case horizontalSkip(Int)
        /// `\.in n\`: indent by `n` spaces (may be negative).
        case indent(Int)
        /// `\.ti n\`: temporarily indent the next line by `n` spaces.
        case temporaryIndent(Int)
        /// `\.ce\`: end the line and center the next one.
        case center
        /// `\.fi\` (true) and `\.nf\` (false): word wrap on or off.
        case wordWrap(Bool)
        /// `\H\` (true) and `\N\` (false): highlighting on or off.
        case highlight(Bool)
        /// `\Cxxyy\` or `\Mxxyyzz\`: a character-set switch, kept as written between the escapes.
        case characterSetSwitch(String)
        /// `\Z...\`: a locally defined escape, kept as written between the escapes.
        case localEscape(String)
    }

    /// The runs in order.
    public var pieces: [Piece]

    public init(pieces: [Piece]) {
        self.pieces = pieces
    }

    /// The text with line breaks as `\n`, skips as spaces, and display-only instructions
    /// (highlighting, indents, wrap, character-set switches) dropped. Local `\Z..\` escapes are
    /// kept as written, since their meaning is the sender's.
    public var plainText: String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let s): out += s
            case .lineBreak, .center: out += "\n"
            case .verticalSpace(let n): out += String(repeating: "\n", count: max(n, 1))
            case .horizontalSkip(let n): out += String(repeating: " ", count: max(n, 0))
            case .localEscape(let s): out += "\\" + s + "\\"
            case .indent, .temporaryIndent, .wordWrap, .highlight, .characterSetSwitch: break
            }
        }
        return out
    }
}
