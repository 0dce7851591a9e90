import HL7
import Testing

@Suite("Typed accessors")
struct DataTypeTests {
    let m = try! HL7Message(parsing: """
        MSH|^~\\&|APP|FAC|||20261129||ADT^A01|1|P|2.5.1\r\
        PID|1||MRN1^4^M11^GHH&2.16.840.1.113883.3.999&ISO^MR^GHF&1.2.3&ISO^20260101^20361231~X9^^^SSA^SS||\
        SYNTHETIC&VAN^ALEX^Q^JR^DR^MD^L||19700101|F|||100 EXAMPLE ST&EXAMPLE ST&100^APT 2^SPRINGFIELD^ZZ^00000^USA^H^^CTY||\
        (555)0100001^PRN^PH^^1^555^0100001^12^evenings~^NET^Internet^a@example.invalid\r\
        PV1|1|I|4WEST^0412^B^GHH&1.2&ISO^^N^MAIN^4^Fourth floor west|||||||||||||||||\r\
        DG1|1||I50.9^Heart failure^I10^428.0^CHF^I9C\r\
        PV2|||||||||||||||||||||||||||||||||||||||||||||||\r\
        ORC|NW|||||||||||1001^CAREGIVER^CASEY^^^DR^MD^^GHH&1.2&ISO^L^^^NPI\r
        """)

    @Test func extendedID() {
        let cx = HL7ExtendedID(m["PID-3"])
        #expect(cx.id == "MRN1")
        #expect(cx.checkDigit == "4")
        #expect(cx.checkDigitScheme == "M11")
        #expect(cx.assigningAuthority == HL7HierarchicDesignator(namespaceID: "GHH", universalID: "2.16.840.1.113883.3.999", universalIDType: "ISO"))
        #expect(cx.identifierTypeCode == "MR")
        #expect(cx.assigningFacility.namespaceID == "GHF")
        #expect(cx.effectiveDate == "20260101")
        #expect(cx.expirationDate == "20361231")
        let second = HL7ExtendedID(m["PID-3[2]"])
        #expect(second.id == "X9")
        #expect(second.identifierTypeCode == "SS")
        #expect(m["PID-3"].repetitions.map { HL7ExtendedID($0).id } == ["MRN1", "X9"])
    }

    @Test func personName() {
        let xpn = HL7PersonName(m["PID-5"])
        #expect(xpn.family == "SYNTHETIC")
        #expect(xpn.given == "ALEX")
        #expect(xpn.middle == "Q")
        #expect(xpn.suffix == "JR")
        #expect(xpn.prefix == "DR")
        #expect(xpn.degree == "MD")
        #expect(xpn.nameTypeCode == "L")
    }

    @Test func address() {
        let xad = HL7Address(m["PID-11"])
        #expect(xad.street == "100 EXAMPLE ST")
        #expect(xad.otherDesignation == "APT 2")
        #expect(xad.city == "SPRINGFIELD")
        #expect(xad.stateOrProvince == "ZZ")
        #expect(xad.postalCode == "00000")
        #expect(xad.country == "USA")
        #expect(xad.addressType == "H")
        #expect(xad.county == "CTY")
    }

    @Test func telecom() {
        let phone = HL7TelecomNumber(m["PID-13"])
        #expect(phone.formatted == "(555)0100001")
        #expect(phone.useCode == "PRN")
        #expect(phone.equipmentType == "PH")
        #expect(phone.countryCode == "1")
        #expect(phone.areaCode == "555")
        #expect(phone.localNumber == "0100001")
        #expect(phone.extension == "12")
        #expect(phone.anyText == "evenings")
        let mail = HL7TelecomNumber(m["PID-13[2]"])
        #expect(mail.emailAddress == "a@example.invalid")
        #expect(mail.useCode == "NET")
    }

    @Test func location() {
        let pl = HL7PersonLocation(m["PV1-3"])
        #expect(pl.pointOfCare == "4WEST")
        #expect(pl.room == "0412")
        #expect(pl.bed == "B")
        #expect(pl.facility.namespaceID == "GHH")
        #expect(pl.facility.universalID == "1.2")
        #expect(pl.personLocationType == "N")
        #expect(pl.building == "MAIN")
        #expect(pl.floor == "4")
        #expect(pl.locationDescription == "Fourth floor west")
    }

    @Test func codedElement() {
        let cwe = HL7CodedElement(m["DG1-3"])
        #expect(cwe.identifier == "I50.9")
        #expect(cwe.text == "Heart failure")
        #expect(cwe.codingSystem == "I10")
        #expect(cwe.alternateIdentifier == "428.0")
        #expect(cwe.alternateText == "CHF")
        #expect(cwe.alternateCodingSystem == "I9C")
    }

    @Test func staffMember() {
        let xcn = HL7StaffMember(m["ORC-12"])
        #expect(xcn.id == "1001")
        #expect(xcn.family == "CAREGIVER")
        #expect(xcn.given == "CASEY")
        #expect(xcn.name.prefix == "DR")
        #expect(xcn.name.degree == "MD")
        #expect(xcn.assigningAuthority.namespaceID == "GHH")
        #expect(xcn.name.nameTypeCode == "L")
        #expect(xcn.identifierTypeCode == "NPI")
    }

    @Test func hierarchicDesignatorAsAField() {
        let hd = HL7HierarchicDesignator(m["MSH-3"])
        #expect(hd.namespaceID == "APP")
        #expect(hd.universalID == nil)
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test(arguments: ["2026", "202611", "20261129", "2026112908", "202611290830", "20261129083015",
                      "20261129083015.1", "20261129083015.1234", "20261129083015.25-0500", "202611290830+0130",
                      "20240229", "2026-0000"])
    func roundTripKeepsPrecisionAndOffset(text: String) throws {
        let ts = try #require(HL7Timestamp(text))
        #expect(ts.description == text)
    }

    @Test func precisionAndParts() throws {
        let ts = try #require(HL7Timestamp("20261129083015.25-0500"))
        #expect(ts.precision == .fractionalSecond)
        #expect(ts.year == 2026)
        #expect(ts.month == 11)
        #expect(ts.day == 29)
        #expect(ts.hour == 8)
        #expect(ts.minute == 30)
        #expect(ts.second == 15)
        #expect(ts.fractionDigits == "25")
        #expect(ts.utcOffsetMinutes == -300)
        #expect(HL7Timestamp("202611")?.precision == .month)
        #expect(HL7Timestamp("20261129")?.utcOffsetMinutes == nil)
    }

    @Test(arguments: ["", "26", "202613", "20260230", "20250229", "2026112924", "202611292360", "20261129235960",
                      "20261129083015.", "20261129083015.12345", "20261129-05", "20261129+1500", "2026112908301a",
                      "20261129 0830"])
    func invalid(text: String) {
        #expect(HL7Timestamp(text) == nil)
    }

    @Test func epochConversionsAgree() throws {
        let ts = try #require(HL7Timestamp("20261129083015-0500"))
        let seconds = ts.secondsSince1970()
        #expect(seconds == 1_795_959_015)
        let back = HL7Timestamp(secondsSince1970: Int(seconds), utcOffsetMinutes: -300)
        #expect(back.description == "20261129083015-0500")
        #expect(HL7Timestamp(secondsSince1970: 0).description == "19700101000000+0000")
        #expect(HL7Timestamp("19691231")!.secondsSince1970() == -86_400)
    }

    @Test func fromValue() throws {
        let m = try HL7Message(parsing: "MSH|^~\\&|A\rEVN|A01|20261129083000^S\r")
        #expect(HL7Timestamp(m["EVN-2"])?.minute == 30)
        #expect(HL7Timestamp(m["EVN-3"]) == nil)
    }
}
