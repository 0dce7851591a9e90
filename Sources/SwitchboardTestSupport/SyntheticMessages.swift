import HL7

/// Synthetic HL7 messages for tests and benchmarks: invented people only, deterministic for a
/// given seed.
public enum SyntheticMessages {
    static let families = ["SYNTHETIC", "EXAMPLE", "SAMPLE", "FICTIVE", "TESTCASE", "PLACEHOLDER", "DUMMY"]
    static let givens = ["ALEX", "SAM", "JORDAN", "RIVER", "CASEY", "MORGAN", "QUINN"]
    static let units = ["4WEST", "5EAST", "ICU", "CARDIO", "ONC", "ED"]

    /// One message of the given kind as ER7 bytes with CR terminators.
    public static func message(_ kind: Kind, index: Int, rng: inout SeededGenerator) -> [UInt8] {
        let family = families.randomElement(using: &rng)!
        let given = givens.randomElement(using: &rng)!
        let mrn = "MRN\(100_000 + Int.random(in: 0..<900_000, using: &rng))"
        let visit = "VN\(200_000 + index)"
        let unit = units.randomElement(using: &rng)!
        let control = "MSG\(index)"
        let (type, event) = kind.typeAndEvent
        var segs = [
            "MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|SWITCHBOARD|CARE COORD|20261129083000-0500||\(type)^\(event)^\(type)_\(event)|\(control)|P|2.5.1|||AL|NE||UNICODE UTF-8",
        ]
        let pid = "PID|1||\(mrn)^^^GHH&2.16.840.1.113883.3.999&ISO^MR~9\(index % 100_000)^^^SSA^SS||\(family)^\(given)^Q^^^^L||19700101|F|||\(index) EXAMPLE STREET^^SPRINGFIELD^ZZ^00000^USA^H||^PRN^PH^^^555^0100001~^NET^Internet^someone\(index)@example.invalid||EN|M|||AC\(index)"
        let pv1 = "PV1|1|I|\(unit)^04\(index % 90 + 10)^B^GHH^^^MAIN^4|E|||1001^CAREGIVER^CASEY^^^DR^MD^^GHH&2.16.840.1.113883.3.999&ISO||MED||||7|||1001^CAREGIVER^CASEY^^^DR^MD|IN||\(visit)^^^GHH^VN|||||||||||||||||06^Home health^HL70112||||||||20261129081500-0500"
        switch kind {
        case .adtA01, .adtA03, .adtA08:
            segs += ["EVN|\(event)|20261129083000-0500|||1002^PLANNER^PAT", pid,
                     "NK1|1|\(family)^SAM|SPO^Spouse^HL70063|100 EXAMPLE STREET^^SPRINGFIELD^ZZ^00000^USA|^PRN^PH^^^555^0100002",
                     pv1, "PV2|||I50.9^Heart failure^I10", "DG1|1||I50.9^Heart failure, unspecified^I10||20261129|A",
                     "AL1|1|DA|70618^Penicillin^RXNORM|MO|Hives", "NTE|1|P|Patient prefers morning calls\\.br\\Interpreter not needed"]
        case .siuS12:
            segs += ["SCH|APT\(index)^SCHED|APT\(index)^SCHED|||||FOLLOWUP^Follow-up visit^LOCAL|ROUTINE|30|MIN|^^30^20261209100000-0500^20261209103000-0500|||||1002^PLANNER^PAT|^WPN^PH^^^555^0100100|||||Booked",
                     pid, pv1, "RGS|1|A", "AIS|1|A|FOLLOWUP^Follow-up visit^LOCAL|20261209100000-0500|||30|MIN",
                     "AIP|1|A|2001^HEARTWELL^HARPER^^^DR^MD|CARDIO^Cardiologist", "AIL|1|A|CARDIO^^^GHC^^^CLINIC B^2"]
        case .refI12:
            segs += ["RF1|P^Pending^HL70283|R^Routine^HL70280|HH^Home health^LOCAL|||REF\(index)^SWITCHBOARD|20261203",
                     "PRD|RP^Referring provider^HL70286|CAREGIVER^CASEY^^^DR^MD|||^WPN^PH^^^555^0100200|||1001^^^GHH",
                     "PRD|RT^Referred to provider^HL70286|VISITING NURSES||||||VNA-01^^^VNA", pid, pv1,
                     "DG1|1||I50.9^Heart failure, unspecified^I10||20261129|F"]
        case .oruR01(let observations):
            segs += [pid, pv1, "ORC|RE|ORD\(index)|FIL\(index)", "OBR|1|ORD\(index)|FIL\(index)|24323-8^Comprehensive metabolic panel^LN|||20261129070000-0500"]
            for k in 0..<observations {
                segs.append("OBX|\(k + 1)|NM|2345-\(k % 10)^Analyte \(k)^LN||\(50 + k % 70).\(k % 10)|mg/dL^milligrams per deciliter^UCUM|70-110|N|||F|||20261129070000-0500")
            }
        }
        return Array((segs.joined(separator: "\r") + "\r").utf8)
    }

    /// The kinds of messages generated.
    public enum Kind: Sendable {
        case adtA01, adtA03, adtA08, siuS12, refI12
        /// ORU^R01 with that many OBX segments.
        case oruR01(observations: Int)

        var typeAndEvent: (String, String) {
            switch self {
            case .adtA01: ("ADT", "A01")
            case .adtA03: ("ADT", "A03")
            case .adtA08: ("ADT", "A08")
            case .siuS12: ("SIU", "S12")
            case .refI12: ("REF", "I12")
            case .oruR01: ("ORU", "R01")
            }
        }
    }

    /// A mixed corpus: mostly 1–2 KB ADT/SIU/REF/ORU messages plus one large ORU in every 50.
    public static func mixedCorpus(count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let kind: Kind = switch i % 50 {
            case 49: .oruR01(observations: 300)
            case let k where k % 6 == 0: .adtA01
            case let k where k % 6 == 1: .adtA03
            case let k where k % 6 == 2: .adtA08
            case let k where k % 6 == 3: .siuS12
            case let k where k % 6 == 4: .refI12
            default: .oruR01(observations: 8)
            }
            return message(kind, index: i, rng: &rng)
        }
    }
}
