// The outbox entries a caseload decision calls for: REF^I12/I14 built from the caseload as it
// stands after the decision, numbered, with their MSH-10 fixed for good.
import Caseload
import HL7
import HL7XML
import Outbox

/// Builds outbound referral messages for decisions.
struct ReferralOutboxComposer: Sendable {
    var settings: OutboundSettings

    /// One entry per requested message (a request whose referral or patient is gone is
    /// skipped). `number` is the next entry number; it advances per entry.
    /// `diagnoses` (the DG1 of the message decided) go into new referrals.
    func entries(for decision: CaseloadDecision, in state: borrowing CaseloadState, diagnoses: [ReferralDiagnosis] = [], number: inout Int,
                 nowMilliseconds: Int64) -> [OutboxEntry] {
        var entries: [OutboxEntry] = []
        for request in decision.referralMessages {
            guard let referral = state.referrals[request.referralID], let patient = state.patients[referral.patientID] else { continue }
            let destination = referral.partner
            let addressing = settings.addressing(of: destination)
            let id = "O-\(number)"
            let controlID = Self.controlID(number: number, nowMilliseconds: nowMilliseconds)
            number += 1
            var message = OutboundReferral(
                referral: referral, patient: patient, encounter: referral.source.isEmpty ? nil : state.encounters[referral.source],
                sendingFacility: settings.sendingFacility, receivingApplication: addressing.receivingApplication,
                receivingFacility: addressing.receivingFacility, controlID: controlID, at: nowMilliseconds / 1000)
            message.sendingApplication = settings.sendingApplication
            message.processingID = settings.processingID
            message.note = referral.reason
            if request.kind == .newReferral { message.diagnoses = diagnoses }
            let event: ReferralMessageBuilder.Event = request.kind == .newReferral ? .newReferral : .cancel
            var payload = ReferralMessageBuilder.build(event, message)
            if addressing.encoding == .xml, let parsed = try? HL7Message(parsing: payload) {
                payload = HL7XMLWriter.document(parsed)
            }
            entries.append(OutboxEntry(
                id: id, destination: destination, controlID: controlID, payload: payload,
                subject: "REF^\(event.rawValue) \(referral.id)", createdAt: nowMilliseconds))
        }
        return entries
    }

    /// MSH-10 of entry `number`: `SB` + the number + the creation time in base 36, unique even
    /// if a state directory is started afresh (partners deduplicate on it).
    static func controlID(number: Int, nowMilliseconds: Int64) -> String {
        "SB\(number)-" + String(nowMilliseconds / 1000, radix: 36).uppercased()
    }
}
