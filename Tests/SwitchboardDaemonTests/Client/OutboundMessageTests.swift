import HL7
import HL7XML
import SwitchboardDaemon
import Testing

@Suite("Outbound message files and endpoints")
struct OutboundMessageTests {
    @Test func er7FileWithSeveralMessagesAndBatchHeaders() throws {
        let text = "FHS|^~\\&|A\nBHS|^~\\&|A\nMSH|^~\\&|A|B|C|D|20261129||ADT^A01|ID-1|P|2.5.1\nPID|1\n"
            + "MSH|^~\\&|A|B|C|D|20261129||ADT^A03|ID-2|P|2.5.1\r\nPID|2\r\nBTS|2\nFTS|1\n"
        let messages = try OutboundMessageFile.messages(in: Array(text.utf8), file: "batch.hl7")
        #expect(messages.map(\.controlID) == ["ID-1", "ID-2"])
        #expect(messages.map(\.number) == [1, 2])
        #expect(String(decoding: messages[1].bytes, as: UTF8.self) == "MSH|^~\\&|A|B|C|D|20261129||ADT^A03|ID-2|P|2.5.1\rPID|2\r")
        #expect(messages.allSatisfy { !$0.isXML })
    }

    @Test func xmlFileIsOneMessageSentAsIs() throws {
        let er7 = try HL7Message(parsing: "MSH|^~\\&|A|B|C|D|20261129||ADT^A01^ADT_A01|X-9|P|2.5.1\rPID|1\r")
        let xml = HL7XMLWriter.document(er7)
        let messages = try OutboundMessageFile.messages(in: xml, file: "a.xml")
        #expect(messages.count == 1)
        #expect(messages[0].controlID == "X-9")
        #expect(messages[0].bytes == xml)
        #expect(messages[0].isXML)
    }

    @Test func badFilesNameTheFile() {
        do {
            _ = try OutboundMessageFile.messages(in: Array("PID|1\r".utf8), file: "orphan.hl7")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "orphan.hl7")
            #expect(error.description.hasPrefix("orphan.hl7:"))
        }
        #expect(throws: OutboundMessageFileError.self) { try OutboundMessageFile.messages(in: [], file: "empty.hl7") }
    }

    @Test func endpoints() throws {
        #expect(try MLLPEndpoint(parsing: "127.0.0.1:2575") == MLLPEndpoint(host: "127.0.0.1", port: 2575))
        #expect(try MLLPEndpoint(parsing: "[::1]:6661") == MLLPEndpoint(host: "::1", port: 6661))
        #expect(try MLLPEndpoint(parsing: "[::1]:6661").description == "[::1]:6661")
        for bad in ["localhost", ":2575", "host:0", "host:65536", "host:x", "::1:2575", "[::1]2575"] {
            #expect(throws: MLLPEndpoint.ParseError.self, "\(bad)") { try MLLPEndpoint(parsing: bad) }
        }
    }
}
