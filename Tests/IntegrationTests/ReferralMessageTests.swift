// REF^I12 / REF^I14 built from the caseload: every field where v2.5.1 puts it, values escaped,
// and the message parses and validates as one the daemon itself would accept.
import Caseload
import HL7
import Integration
import Testing

@Suite("outbound referral messages")
struct ReferralMessageTests {
    static var referral: OutboundReferral {
        let patient = Patient(id: "GHH:MRN100001", identifiers: [PatientIdentifier(value: "MRN100001", authority: "GHH", type: "MR"),
                                                                  PatientIdentifier(value: "555-44-3333", authority: "SSA", type: "SS")],
                              familyName: "SYNTHETIC|PIPE", givenName: "ALEX", birthDate: "19700101", sex: "F")
        let encounter = Encounter(id: "VN200001", patientID: patient.id, patientClass: "I", location: "4WEST^0412^B",
                                  admittedAt: 1_795_900_000, dischargedAt: 1_796_000_000, dischargeDisposition: "06", status: .discharged)
        let referral = Referral(id: "SB-R-1", patientID: patient.id, direction: .outbound, partner: "home-health", priority: "R",
                                type: "HH", reason: "Home health nursing after discharge", status: .pending, updatedAt: 1_796_000_000)
        var outbound = OutboundReferral(referral: referral, patient: patient, encounter: encounter, sendingFacility: "GHH",
                                        receivingApplication: "HHA", receivingFacility: "HOME HEALTH", controlID: "SBREF-1-1", at: 1_796_000_060)
        outbound.note = "Discharged home; first visit within 48 h ^ please"
        outbound.diagnoses = [ReferralDiagnosis(code: "I50.9", text: "Heart failure, unspecified", codingSystem: "I10", type: "F")]
        return outbound
    }

    @Test func controlCharactersAreEscapedNeverSentRaw() throws {
        // A sender's escaped \X1C\ arrives in the caseload as the byte: in our message it must be
        // escaped again, or it would end the MLLP frame at the partner.
        var referral = Self.referral
        referral.patient.givenName = "AL\u{1C}EX\u{0B}"
        referral.note = "line one\u{0D}line two"
        let bytes = ReferralMessageBuilder.build(.newReferral, referral)
        #expect(!bytes.contains(0x1C) && !bytes.contains(0x0B))
        #expect(bytes.split(separator: 0x0D).count == 8)  // CR only between segments
        let message = try HL7Message(parsing: bytes)
        #expect(message.text(at: "PID-5.2") == "AL\u{1C}EX\u{0B}")
    }

    @Test func refI12CarriesTheReferralPatientAndVisit() throws {
        let message = try HL7Message(parsing: ReferralMessageBuilder.build(.newReferral, Self.referral))
        #expect(message.header.messageType == "REF^I12^REF_I12")
        #expect(message.header.controlID == "SBREF-1-1" && message.header.version == "2.5.1")
        #expect(message.header.sendingApplication == "SWITCHBOARD" && message.header.receivingFacility == "HOME HEALTH")
        #expect(message.text(at: "MSH-7") == "20261130005420+0000")  // UTC, said so
        #expect(message.text(at: "RF1-1.1") == "P" && message.text(at: "RF1-2") == "R" && message.text(at: "RF1-3") == "HH")
        #expect(message.text(at: "RF1-6.1") == "SB-R-1" && message.text(at: "RF1-10") == "Home health nursing after discharge")
        #expect(message.segments(named: "PRD").count == 2)
        #expect(message.text(at: "PRD[2]-1.1") == "RT" && message.text(at: "PRD[2]-2") == "home-health")
        #expect(message.text(at: "PID-3[1].1") == "MRN100001" && message.text(at: "PID-3[2].4") == "SSA")
        #expect(message.text(at: "PID-5.1") == "SYNTHETIC|PIPE")  // escaped on the wire, intact when read
        #expect(message.text(at: "PID-7") == "19700101" && message.text(at: "PID-8") == "F")
        #expect(message.text(at: "PV1-2") == "I" && message.text(at: "PV1-3.2") == "0412" && message.text(at: "PV1-19") == "VN200001")
        #expect(message.text(at: "PV1-36") == "06" && message.text(at: "PV1-45") == "20261130005320+0000")
        #expect(message.text(at: "NTE-3") == "Discharged home; first visit within 48 h ^ please")
        #expect(message.text(at: "DG1-1") == "1" && message.text(at: "DG1-3.1") == "I50.9" && message.text(at: "DG1-3.3") == "I10")
        #expect(message.text(at: "DG1-3.2") == "Heart failure, unspecified" && message.text(at: "DG1-6") == "F")
        // v2.5.1 REF_I12 order: ... PID, DG1, PV1, NTE.
        #expect(message.segments.map(\.id) == ["MSH", "RF1", "PRD", "PRD", "PID", "DG1", "PV1", "NTE"])
    }

    @Test func aSwitchboardPartnerAcceptsIt() async throws {
        // Another Switchboard as the partner: its pipeline validates the REF^I12 and records an
        // inbound referral.
        let partner = try await PipelineHarness.make(withCaseload: true)
        let result = await partner.process(ReferralMessageBuilder.build(.newReferral, Self.referral))
        #expect(result.ackCode == "CA", "\(result.errorCodes)")  // MSH-15 AL: enhanced mode, commit accept
        #expect(partner.pipeline.caseload?.read { $0.referrals["SB-R-1"]?.direction } == .inbound)
    }

    @Test func refI14IsTheCancellation() throws {
        var cancelled = Self.referral
        cancelled.referral.status = .cancelled
        cancelled.controlID = "SBREF-1-2"
        let message = try HL7Message(parsing: ReferralMessageBuilder.build(.cancel, cancelled))
        #expect(message.header.messageType == "REF^I14^REF_I12" && message.text(at: "RF1-6.1") == "SB-R-1")
    }
}
