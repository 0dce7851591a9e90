// The test harness's own judgement, without a daemon: ACK reading, INDEX.md reactions, matching.
import SwitchboardTestSupport
import Testing

extension DaemonTests {
    @Suite("harness: ACK reading and INDEX.md reactions")
    struct Judging {
        @Test func er7AckWithErr3() throws {
            let ack = try #require(AckSummary(Array("MSH|^~\\&|SB|F|A|B|20260101||ACK^A01^ACK|SB-1|P|2.5.1\rMSA|CE|MSG-1\rERR||MSH^1^10|205^Duplicate key identifier^HL70357|E\r".utf8)))
            #expect(ack.code == "CE" && ack.acknowledgedControlID == "MSG-1" && ack.errorCodes == ["205"])
            #expect(ack.messageType == "ACK^A01^ACK" && ack.controlID == "SB-1" && !ack.isXML)
        }

        @Test func er7AckWithErr1InOldVersionsAndOddDelimiters() throws {
            let ack = try #require(AckSummary(Array("MSH|^~}&|R|M|A|A|20260101||ACK^P01^ACK|SB-2|P|2.4\rMSA|AR|908\rERR|^^^102&Data type error&HL70357\r".utf8)))
            #expect(ack.code == "AR" && ack.errorCodes == ["102"])
        }

        @Test func xmlAck() throws {
            let xml = """
                <?xml version="1.0" encoding="UTF-8"?>
                <ACK_R02 xmlns="urn:hl7-org:v2xml"><MSH><MSH.9><MSG.1>ACK</MSG.1><MSG.2>R02</MSG.2></MSH.9><MSH.10>SB-3</MSH.10></MSH>
                <MSA><MSA.1>AR</MSA.1><MSA.2>1</MSA.2></MSA>
                <ERR><ERR.1><ELD.1>MSH</ELD.1><ELD.4><CE.1>200</CE.1></ELD.4></ERR.1></ERR>
                <ERR><ERR.3><CWE.1>207</CWE.1><CWE.2>x</CWE.2></ERR.3></ERR></ACK_R02>
                """
            let ack = try #require(AckSummary(Array(xml.utf8)))
            #expect(ack.isXML && ack.code == "AR" && ack.acknowledgedControlID == "1" && ack.errorCodes == ["200", "207"])
            #expect(ack.messageType == "ACK^R02" && ack.controlID == "SB-3")
        }

        @Test func notAnAck() {
            #expect(AckSummary(Array("MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5\rPID|1\r".utf8)) == nil)
            #expect(AckSummary(Array("garbage".utf8)) == nil)
        }

        @Test func indexCellsAndGeneratedRows() {
            let rows = BadCorpusIndex.parse(markdown: """
                | file | delivery | what | reaction |
                |---|---|---|---|
                | a.hl7 | file | MSH-2 is '^~\\&' | REJECT-AR 102\\|207 or CLOSE |
                | big.mllp (generated) | mllp | big | CLOSE once the maximum frame size is exceeded |
                """)
            #expect(rows.count == 2)
            #expect(rows[0].what == "MSH-2 is '^~\\&'")
            #expect(rows[0].reaction == "REJECT-AR 102|207 or CLOSE")
            #expect(rows[1].file == "big.mllp" && rows[1].generated && rows[1].isRawMLLP)
        }

        @Test("reaction texts", arguments: [
            ("REJECT-AR 102|207; ACCEPT-OK tolerated if MSH-2 is read positionally", "AR/CR 102|207 or AA/CA"),
            ("REJECT-AR 100|102|207 or CLOSE; must not crash, hang or recurse unboundedly", "AR/CR 100|102|207 or CLOSE"),
            ("CLOSE|IGNORE; inspect: error", "CLOSE or IGNORE"),
            ("REJECT-AR 200 (or AA if the receiver accepts any type)", "AR/CR 200 or AA/CA"),
            ("IGNORE or log; must NOT reply with an ACK (loop)", "IGNORE"),
            ("ACK both frames; IGNORE the garbage", "[AA/CA, AA/CA]"),
            ("IGNORE or REJECT-AR; keep the connection usable", "IGNORE or AR/CR (connection kept)"),
            ("REJECT-AR for the truncated first part (or ACCEPT it as is); IGNORE the tail", "AR/CR or AA/CA"),
            ("batch ACK or per-message ACKs (AA), or REJECT-AR 100 if batches are unsupported; no crash",
             "per-message AA/CA or AA/CA or AR/CR 100"),
            ("ACK every frame in order (AA); bounded memory; no connection reset", "per-frame AA/CA"),
            ("REJECT-AR 100 for the frame (or ACK each message if the receiver accepts batches without BHS)", "per-message any ACK or AR/CR 100"),
            ("REJECT-AR 102|207 for the second message (first may be accepted)", "AR/CR 102|207 or [any ACK, AR/CR 102|207]"),
            ("REJECT or ignore; no network connection may be attempted", "any ACK or AE/AR/CE/CR"),
            ("REJECT-AR 102|207 or ignore it", "AA/CA or AR/CR 102|207"),
        ])
        func reactionText(_ text: String, _ expected: String) throws {
            #expect(try #require(ReactionExpectation.parse(text, previous: nil)).description == expected)
        }

        @Test func sameAsAboveAndUnreadable() {
            let above = ReactionExpectation.parse("CLOSE", previous: nil)
            #expect(ReactionExpectation.parse("same as above", previous: above) == above)
            #expect(ReactionExpectation.parse("whatever happens", previous: nil) == nil)
        }

        @Test func matching() throws {
            let ar102 = try #require(AckSummary(Array("MSH|^~\\&|A|B|C|D|2026||ACK|1|P|2.5\rMSA|AR|X\rERR|||102^x^HL70357|E\r".utf8)))
            let ae101 = try #require(AckSummary(Array("MSH|^~\\&|A|B|C|D|2026||ACK|1|P|2.5\rMSA|AE|X\rERR|||101^x^HL70357|E\r".utf8)))
            let expectation = try #require(ReactionExpectation.parse("REJECT-AR 102|207 or CLOSE", previous: nil))
            func observed(_ acks: [AckSummary], _ connection: ObservedReaction.Connection) -> ObservedReaction {
                ObservedReaction(acks: acks, otherFrames: 0, connection: connection, messageCount: 1, frameCount: 1)
            }
            #expect(observed([ar102], .open).meets(expectation))
            #expect(observed([], .closed).meets(expectation))
            #expect(!observed([], .open).meets(expectation), "IGNORE is not allowed here")
            #expect(!observed([ae101], .open).meets(expectation), "AE is not AR")
            #expect(!observed([ar102], .hung).meets(expectation), "a hang never passes")
            #expect(!observed([ar102, ar102], .open).meets(expectation), "one ACK, not two")
            let tolerated = try #require(ReactionExpectation.parse("ACCEPT-OK ignoring the PI", previous: nil))
            #expect(observed([ae101], .open).isPolicyRefusal(for: tolerated))
            #expect(!observed([ar102], .open).isPolicyRefusal(for: tolerated), "102 is a parse verdict, not policy")
            #expect(!observed([ae101], .open).isPolicyRefusal(for: expectation), "only where ACCEPT is allowed")
        }
    }
}
