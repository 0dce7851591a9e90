import HL7
import Testing

@Suite("Paths")
struct PathTests {
    @Test(arguments: ["PID-3", "PID-3[2].4.1", "MSH-9.2", "OBX[3]-5", "ZZ1-1.1"])
    func roundTrip(text: String) throws {
        #expect(try HL7Path(text).description == text)
    }

    @Test func parts() throws {
        let p = HL7Path("OBX[2]-5[3].4.1")
        #expect(p.segment == "OBX")
        #expect(p.occurrence == 2)
        #expect(p.field == 5)
        #expect(p.repetition == 3)
        #expect(p.component == 4)
        #expect(p.subcomponent == 1)
        #expect(HL7Path("PID-3(2)").repetition == 2)
        #expect(HL7Path("PID.3").field == 3)
    }

    @Test(arguments: ["", "PID", "PID-", "PID-0", "pid-3", "PID-3.", "PID-3[x]", "PID-3[2", "PID-3.1.1.1", "PID-3 "])
    func malformed(text: String) {
        #expect(throws: HL7ParseError.self) { try HL7Path(text) }
    }
}

@Suite("Editing and building")
struct EditingTests {
    @Test func setPadsMissingPositions() throws {
        var m = try HL7Message(parsing: "MSH|^~\\&|A\rPID|1\r")
        try m.set("PID-5[2].3.2", to: "Z")
        #expect(String(decoding: m.segment("PID")!.rawBytes, as: UTF8.self) == "PID|1||||~^^&Z")
        #expect(m["PID-5[2].3.2"].text == "Z")
        try m.set("PID-5.1", to: "DOE")
        #expect(String(decoding: m.segment("PID")!.rawBytes, as: UTF8.self) == "PID|1||||DOE~^^&Z")
    }

    @Test func setReplacesExistingValuesAndEscapes() throws {
        var m = try HL7Message(parsing: "MSH|^~\\&|A\rPID|1||X^Y^Z\r")
        try m.set("PID-3.2", to: "a|b")
        #expect(m["PID-3"].rawText == "X^a\\F\\b^Z")
        #expect(m["PID-3.2"].text == "a|b")
        try m.set("PID-3", to: "whole")
        #expect(m["PID-3"].rawText == "whole")
        try m.set("MSH-10", to: "CTRL")
        #expect(m.header.controlID == "CTRL")
    }

    @Test func setAppendsMissingSegments() throws {
        var m = try HL7Message(parsing: "MSH|^~\\&|A")
        try m.set("PV1-2", to: "I")
        try m.set("OBX[2]-1", to: "2")
        #expect(m.segments.map(\.id) == ["MSH", "PV1", "OBX", "OBX"])
        #expect(m["PV1-2"].text == "I")
        #expect(m["OBX[2]-1"].text == "2")
    }

    @Test func delimiterFieldsCannotBeSet() throws {
        var m = try HL7Message(parsing: "MSH|^~\\&|A\r")
        #expect(throws: HL7ParseError.self) { try m.set("MSH-1", to: "#") }
        #expect(throws: HL7ParseError.self) { try m.set("MSH-2", to: "#") }
        #expect(throws: HL7ParseError.self) { try m.setRaw("PID-3.1", to: Array("a^b".utf8)) }
        #expect(throws: HL7ParseError.self) { try m.setRaw("PID-3", to: [13]) }
    }

    @Test func builderMakesAValidMessage() throws {
        let ts = try #require(HL7Timestamp("20261129083000-0500"))
        var m = try HL7Message.make(messageType: "REF^I12^REF_I12", controlID: "OUT-1", timestamp: ts,
                                    sendingApplication: "SWITCHBOARD", sendingFacility: "CARE^COORD",
                                    receivingApplication: "HH", characterSet: .utf8)
        try m.appendSegment("RF1", fields: ["P^Pending", nil, "HH"])
        try m.set("PID-5.1", to: "SYNTHETIC")
        let text = String(decoding: m.serialized(), as: UTF8.self)
        #expect(text.hasPrefix("MSH|^~\\&|SWITCHBOARD|CARE^COORD|HH||20261129083000-0500||REF^I12^REF_I12|OUT-1|P|2.5.1||||||UNICODE UTF-8\r"))
        #expect(text.contains("\rRF1|P\\S\\Pending||HH\r"))
        #expect(m.header.messageType == "REF^I12^REF_I12")
        #expect(m.characterSet == .utf8)
        let reparsed = try HL7Message(parsing: m.serialized())
        #expect(reparsed["PID-5.1"].text == "SYNTHETIC")
        #expect(reparsed["RF1-1"].text == "P^Pending")
    }

    @Test func removeSegment() throws {
        var m = try HL7Message(parsing: "MSH|^~\\&|A\rNTE|1\rNTE|2\rPID|1\r")
        try m.removeSegment(named: "NTE", occurrence: 2)
        #expect(m.segments.map(\.id) == ["MSH", "NTE", "PID"])
        #expect(m["NTE-1"].text == "1")
    }
}
