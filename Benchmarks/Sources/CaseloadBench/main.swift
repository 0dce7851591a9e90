// caseload-bench: how fast decisions are made and events applied, memory per patient, and the
// start-up cost of rebuilding the caseload from journal records, and from a snapshot plus a tail.
//   swift run -c release --package-path Benchmarks caseload-bench [patients]
import Caseload
import CaseloadStore
#if canImport(Glibc)
import Glibc
#endif

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return digits == 0 ? "\(Int(rounded))" : "\(rounded)"
}

func residentMegabytes() -> Double {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, file) != nil {
        let text = String(cString: line)
        if text.hasPrefix("VmRSS:") {
            return Double(text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) / 1024
        }
    }
    return 0
}

let patients = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1_000_000
var rules = CaseloadRules()
rules.teams = [.init(name: "medicine")]
rules.coordinators = (0..<50).map { Coordinator(id: "coord-\($0)", name: "C\($0)", team: "medicine", capacity: 1_000_000) }
let decider = CaseloadDecider(rules: rules)
let start: Int64 = 1_795_000_000

// Per patient: admission (inpatient for two in three), discharge for every third.
var commands: [CaseloadCommand] = []
commands.reserveCapacity(patients + patients / 3)
for index in 0..<patients {
    let patient = PatientFacts(identifiers: [PatientIdentifier(value: "MRN\(index)", authority: "GHH", type: "MR")],
                               familyName: "SYNTHETIC", givenName: "P\(index)", birthDate: "19700101", sex: "U")
    let at = start + Int64(index)
    commands.append(CaseloadCommand(action: .admit(.admit), patient: patient,
                                    visit: VisitFacts(visitNumber: "V\(index)", patientClass: index % 3 == 2 ? "O" : "I", location: "4WEST^1", admittedAt: at), at: at))
    if index % 3 == 0 {
        commands.append(CaseloadCommand(action: .discharge, patient: patient,
                                        visit: VisitFacts(visitNumber: "V\(index)", dischargedAt: at + 86_400, dischargeDisposition: "01"), at: at + 86_400))
    }
}

let baseline = residentMegabytes()
var live = CaseloadState()
var decisions: [CaseloadDecision] = []
decisions.reserveCapacity(commands.count)
let decideTime = try seconds {
    for command in commands {
        let decision = try decider.decide(command, in: live)
        live.apply(decision)
        decisions.append(decision)
    }
}
let events = decisions.reduce(0) { $0 + $1.events.count }
print("patients \(patients), messages \(commands.count), events \(events)")
print("decide + apply (live path): \(Int(Double(commands.count) / decideTime)) messages/s, \(Int(Double(events) / decideTime)) events/s")

var replayed = CaseloadState()
let applyTime = seconds {
    for decision in decisions { replayed.apply(decision) }
}
print("apply only (replay): \(Int(Double(events) / applyTime)) events/s (\(fixed(applyTime, 2)) s)")
let withState = residentMegabytes()
print("memory: \(fixed(withState - baseline, 0)) MB for two caseloads and the decisions; ", terminator: "")
decisions.removeAll()
live = CaseloadState()
let single = residentMegabytes()
print("one caseload ≈ \(fixed(single - baseline, 0)) MB after freeing the rest (RSS is not returned eagerly; see below)")

// Start-up without a snapshot: decode every record's decision and apply it.
var payloads: [[UInt8]] = []
payloads.reserveCapacity(commands.count)
var check = CaseloadState()
for command in commands {
    let decision = try decider.decide(command, in: check)
    check.apply(decision)
    let record = InboundRecord(receivedAtMicroseconds: 0, listener: "mllp", peer: "127.0.0.1:1", disposition: .accepted, encoding: .er7,
                               sendingApplication: "ADT1", sendingFacility: "GHH", controlID: "C", messageType: "ADT^A01", ackCode: "AA",
                               contentHash: 0, ack: [], raw: [], caseload: decision)
    payloads.append(InboundRecordCodec.encode(record))
}
check = CaseloadState()
let beforeStartup = residentMegabytes()
var rebuilt = CaseloadState()
// The state a snapshot taken `tail` records before the end would hold (the daemon's default
// snapshot interval is 50,000 records, so a start-up replays at most about that many).
let tail = min(50_000, payloads.count)
var atSnapshot = CaseloadState()
let startupTime = try seconds {
    for (index, payload) in payloads.enumerated() {
        rebuilt.apply(try InboundRecordCodec.decode(payload), sequence: UInt64(index + 1))
        if index + 1 == payloads.count - tail { atSnapshot = rebuilt }
    }
}
print("rebuild from records (decode + apply + audit): \(fixed(startupTime, 2)) s for \(payloads.count) records")
print("memory per patient (rebuilt caseload incl. audit trail): \(fixed((residentMegabytes() - beforeStartup) * 1_048_576 / Double(patients), 0)) bytes")
let fullHash = rebuilt.canonicalHash
print("hash \(fullHash)")

// Snapshots. The duplicate index holds one key per record (up to its 1,000,000 default cap),
// each with its ACK (about 110 bytes).
let ackTemplate = Array("MSH|^~\\&|SWITCHBOARD|CC|ADT1|GHH|20260101000000||ACK^A01^ACK|ACK000000000|P|2.5.1\rMSA|AA|MSG000000000".utf8)
let snapshotRecords = payloads.count - tail
let keys = (0..<min(snapshotRecords, 1_000_000)).map { index in
    var ack = ackTemplate
    ack[ack.count - 1] = UInt8(48 + index % 10)
    return DuplicateIndex.StoredKey(key: DuplicateKey(sendingApplication: "ADT1", sendingFacility: "GHH", controlID: "MSG\(index)"),
                                    hash: UInt64(index), ack: ack, sequence: UInt64(index + 1), receivedAtMicroseconds: 1_795_000_000_000_000)
}
var blob: [UInt8] = []
let encodeTime = seconds { blob = StoreSnapshotCodec.encode(StoreSnapshot(caseload: atSnapshot, duplicates: keys)) }
print("snapshot encode: \(fixed(encodeTime, 2)) s, \(fixed(Double(blob.count) / 1_048_576, 0)) MB (\(keys.count) duplicate keys)")
atSnapshot = CaseloadState()

// The live path's cost of a snapshot: the first change to each shared table copies it.
var shared = rebuilt
let holder = shared
let lastCommand = commands[commands.count - 1]
let cowTime = try seconds {
    let decision = try decider.decide(CaseloadCommand(action: .admit(.admit), patient: lastCommand.patient,
                                                      visit: VisitFacts(visitNumber: "VX", patientClass: "I", location: "4WEST^1", admittedAt: start),
                                                      at: start + 999_999), in: shared)
    shared.apply(decision)
    shared.recordAudit(AuditEntry(sequence: 0, controlID: "X", messageType: "ADT^A01", at: 0, patientID: decision.patientID, changes: []))
}
print("first decision while a snapshot holds the caseload (copies the tables it touches): \(fixed(cowTime * 1000, 0)) ms")
_ = holder.eventCount
shared = CaseloadState()

// Start-up from the snapshot plus the tail, as InboundStore.open does it.
var restored = CaseloadState()
let index = DuplicateIndex()
var phases: [String] = []
let restoreTime = try seconds {
    var snapshot = StoreSnapshot(caseload: CaseloadState(), duplicates: [])
    let decodeTime = try seconds { snapshot = try StoreSnapshotCodec.decode(blob, loadingDuplicatesInto: index, receivedSince: 0) }
    restored = snapshot.caseload
    snapshot = StoreSnapshot(caseload: CaseloadState(), duplicates: [])
    let tailTime = try seconds {
        for position in snapshotRecords..<payloads.count {
            restored.apply(try InboundRecordCodec.decode(payloads[position]), sequence: UInt64(position + 1))
        }
    }
    phases = ["decode with the duplicate index \(fixed(decodeTime, 2)) s (\(index.count) keys)", "tail \(fixed(tailTime, 2)) s"]
}
print("  start-up phases: \(phases.joined(separator: ", "))")
let restoredHash = restored.canonicalHash
print("start-up from snapshot + \(tail) records (decode, duplicate index, tail): \(fixed(restoreTime, 2)) s; hash \(restoredHash) \(restoredHash == fullHash ? "== full replay" : "!= FULL REPLAY \(fullHash)")")
