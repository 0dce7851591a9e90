import HL7
import Testing

@Suite("Escape sequences")
struct EscapingTests {
    func value(_ field: String, _ header: String = "MSH|^~\\&|A") throws -> HL7Value {
        try HL7Message(parsing: header + "\rNTE" + String(header[header.index(header.startIndex, offsetBy: 3)]) + "1" + String(repeating: header[header.index(header.startIndex, offsetBy: 3)], count: 2) + field + "\r")["NTE-3"]
    }

    @Test func delimiterEscapes() throws {
        #expect(try value("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f").text == "a|b^c&d~e\\f")
        #expect(try value("a\\F\\b").rawText == "a\\F\\b")
    }

    @Test func escapesFollowTheMessageDelimiters() throws {
        let v = try value("x\\F\\y\\S\\z", "MSH$%~\\&$A")
        #expect(v.text == "x$y%z")
    }

    @Test func hexEscapes() throws {
        #expect(try value("\\X41\\\\X4243\\").text == "ABC")
        #expect(try value("caf\\XC3A9\\", "MSH|^~\\&|A|||||||||||||||UNICODE UTF-8").text == "café")
        #expect(try value("caf\\XE9\\", "MSH|^~\\&|A|||||||||||||||8859/1").text == "café")
    }

    @Test func badOrIncompleteEscapesAreKeptLiterally() throws {
        #expect(try value("\\Xzz\\").text == "\\Xzz\\")
        #expect(try value("\\X4\\").text == "\\X4\\")
        #expect(try value("C:\\temp").text == "C:\\temp")
        #expect(try value("a\\\\b").text == "a\\\\b")
        #expect(try value("\\Q\\").text == "\\Q\\")
        #expect(try value("end\\").text == "end\\")
    }

    @Test func formattingEscapes() throws {
        let v = try value("line1\\.br\\line2\\.sp 2\\x\\.sk 3\\y\\H\\bold\\N\\\\.in +4\\\\.ce\\z\\.fi\\\\.nf\\\\Zlocal\\")
        #expect(v.text == "line1\nline2\n\nx   ybold\nz\\Zlocal\\")
        let pieces = v.formattedText.pieces
        #expect(pieces.contains(.lineBreak))
        #expect(pieces.contains(.verticalSpace(2)))
        #expect(pieces.contains(.horizontalSkip(3)))
        #expect(pieces.contains(.highlight(true)))
        #expect(pieces.contains(.highlight(false)))
        #expect(pieces.contains(.indent(4)))
        #expect(pieces.contains(.center))
        #expect(pieces.contains(.wordWrap(true)))
        #expect(pieces.contains(.wordWrap(false)))
        #expect(pieces.contains(.localEscape("Zlocal")))
        #expect(pieces.first == .text("line1"))
    }

    @Test func characterSetSwitchEscapeIsStructure() throws {
        let v = try value("a\\C2842\\b")
        #expect(v.formattedText.pieces == [.text("a"), .characterSetSwitch("C2842"), .text("b")])
        #expect(v.text == "ab")
    }

    @Test func encodeEscapesEveryDelimiterAndLineBreak() {
        let encoded = HL7Escaping.encode("a|b^c&d~e\\f\r\ng\nh", delimiters: .standard)
        #expect(String(decoding: encoded, as: UTF8.self) == "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\\.br\\h")
        var trunc = HL7Delimiters.standard
        trunc.truncation = UInt8(ascii: "#")
        #expect(String(decoding: HL7Escaping.encode("1#2", delimiters: trunc), as: UTF8.self) == "1\\P\\2")
    }

    @Test func encodeThenDecodeIsIdentityForRandomText() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab|^&~\\#\n é€😀01 .XF")
        for _ in 0..<300 {
            let n = Int.random(in: 0..<30, using: &rng)
            let text = String((0..<n).map { _ in alphabet.randomElement(using: &rng)! })
            var m = try HL7Message(parsing: "MSH|^~\\&|A||||||||||||||UNICODE UTF-8\r")
            try m.set("NTE-3.1.1", to: text)
            #expect(m["NTE-3"].text == text, "\(text.debugDescription)")
        }
    }
}
