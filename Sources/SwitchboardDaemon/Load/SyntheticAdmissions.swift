// A synthetic ADT archive for replay measurements: admissions of invented patients, a quarter
// of the messages discharging one of them again. Every person and number in it is invented.
public import MLLP

/// Writes `switchboard bench corpus` archives.
public enum SyntheticAdmissions {
    /// `count` MLLP-framed ADT messages in groups of four: three A01 admissions (patients
    /// 3k, 3k+1, 3k+2, each with a visit of its own), then the A03 discharge of patient 3k's
    /// visit. Admissions open cases; discharges close them. Deterministic: the same count gives
    /// the same bytes.
    public static func archive(count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count * 220)
        for index in 0..<count {
            let group = index / 4, slot = index % 4
            let patient = slot == 3 ? group * 3 : group * 3 + slot
            let minute = index / 60 % 60, hour = 8 + index / 3_600 % 12
            let time = "20261130" + two(hour) + two(minute) + "00"
            let event = slot == 3 ? "A03" : "A01"
            var text = "MSH|^~\\&|ADT1|GHH|SWB|CC|\(time)||ADT^\(event)^ADT_\(event)|R\(pad(index, 9))|P|2.5.1\r"
                + "EVN|\(event)|\(time)\r"
                + "PID|1||MRN\(pad(patient, 8))^^^GHH^MR||SYNTHETIC^P\(patient)||19700101|\(patient % 2 == 0 ? "F" : "M")\r"
            // PV1-2 class, PV1-3 location, PV1-19 visit number, PV1-36 discharge disposition
            // (01: home), PV1-44 admitted, PV1-45 discharged.
            var pv1 = [String](repeating: "", count: 46)
            pv1[0] = "PV1"
            pv1[1] = "1"
            pv1[2] = "I"
            pv1[3] = "4WEST^\(patient % 40 + 1)^A"
            pv1[19] = "V\(pad(patient, 8))"
            if slot == 3 {
                pv1[36] = "01"
                pv1[45] = time
            } else {
                pv1[44] = time
            }
            text += pv1.joined(separator: "|") + "\r"
            out.append(MLLPFraming.startBlock)
            out.append(contentsOf: text.utf8)
            out.append(MLLPFraming.endBlock)
            out.append(MLLPFraming.carriageReturn)
        }
        return out
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
