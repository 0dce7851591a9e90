// A40: one patient record absorbs others (MRG-1 names the absorbed ones).

extension Draft {
    mutating func merge(prior identifiers: [PatientIdentifier], into survivorID: String) {
        let priorIDs = Set(identifiers.compactMap { owner(of: $0) }).subtracting([survivorID]).sorted()
        guard !priorIDs.isEmpty else {
            note("merge: no known patient holds the prior identifiers \(identifiers.map(\.key).joined(separator: ", ")); recorded as identifiers of \(survivorID)")
            if var survivor = patient(survivorID) {
                let missing = identifiers.filter { id in !survivor.identifiers.contains { $0.key == id.key } }
                if !missing.isEmpty {
                    survivor.identifiers += missing
                    emit(.patient(survivor))
                }
            }
            return
        }
        for priorID in priorIDs {
            guard var prior = patient(priorID), var survivor = patient(survivorID) else { continue }
            for identifier in prior.identifiers where !survivor.identifiers.contains(where: { $0.key == identifier.key }) {
                survivor.identifiers.append(identifier)
            }
            if survivor.familyName.isEmpty { survivor.familyName = prior.familyName }
            if survivor.givenName.isEmpty { survivor.givenName = prior.givenName }
            if survivor.birthDate.isEmpty { survivor.birthDate = prior.birthDate }
            prior.mergedInto = survivorID
            emit(.patient(prior))
            emit(.patient(survivor))
            note("patient \(priorID) merged into \(survivorID)")
            let survivingCase = openCase(of: survivorID)
            for var encounter in encounters(of: priorID) {
                encounter.patientID = survivorID
                emit(.encounter(encounter))
            }
            for var careCase in cases(of: priorID) {
                careCase.patientID = survivorID
                if careCase.status == .open, let keep = survivingCase {
                    careCase.status = .closed
                    careCase.closedAt = at
                    careCase.closeReason = "merged into \(keep.id)"
                    var kept = self.careCase(keep.id) ?? keep
                    kept.encounterIDs += careCase.encounterIDs.filter { !kept.encounterIDs.contains($0) }
                    kept.riskFlags = Array(Set(kept.riskFlags + careCase.riskFlags)).sorted()
                    emit(.careCase(kept))
                    note("case \(careCase.id) closed: merged into \(keep.id)")
                }
                emit(.careCase(careCase))
            }
            let target = survivingCase.map(\.id)
            for var task in tasks(of: priorID) {
                task.patientID = survivorID
                if task.status == .open, let target, let oldCase = self.careCase(task.caseID), oldCase.status != .open { task.caseID = target }
                emit(.task(task))
            }
            for var appointment in appointments(of: priorID) {
                appointment.patientID = survivorID
                emit(.appointment(appointment))
            }
            for var referral in referrals(of: priorID) {
                referral.patientID = survivorID
                emit(.referral(referral))
            }
        }
    }
}
