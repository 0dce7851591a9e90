/// The data dictionary HL7 v2.xml element names come from (HL7 v2.5.1), as data in one place.
///
/// * ``segmentFields``: per segment, the data type of each field in order (`PID` field 5 is
///   `XPN`, so its components are `<XPN.1>`, `<XPN.2>`, …).
/// * ``componentTypes``: per composite data type, the data type of each component; a component
///   whose type is itself composite has subcomponent elements named after that type (`CX.4` is
///   `HD`, so `<CX.4><HD.1>…</HD.1></CX.4>`).
///
/// * ``structureTable``: the v2.5.1 message structures Switchboard handles, with their groups
///   (`ADT_A01.INSURANCE`); ``structureAliases`` maps trigger events to their structure.
///
/// Anything not listed (a Z segment, a field past the end of a list, a primitive-typed value that
/// nevertheless has components) uses the documented generic type name ``genericType``
/// (`varies`): `<ZPI.2><varies.1>…</varies.1></ZPI.2>`. The reader ignores type names and uses
/// only positions, so the fallback reads back exactly.
public enum HL7XMLDictionary {
    /// The type name used when the dictionary does not know a field's or component's type.
    public static let genericType = "varies"

    /// Field data types per segment (v2.5.1), space-separated, field 1 first.
    static let segmentFieldTable: [String: String] = [
        "MSH": "ST ST HD HD HD HD TS ST MSG ST PT VID NM ST ID ID ID ID CE ID EI",
        "EVN": "ID TS TS IS XCN TS HD",
        "PID": "SI CX CX CX XPN XPN TS IS XPN CE XAD IS XTN XTN CE CE CE CX ST DLN CX CE ST ID NM CE CE CE TS ID ID IS TS HD CE CE ST CE CE",
        "PD1": "IS IS XON XCN IS IS IS ID CX ID CE ID DT XON CE ID DT DT IS",
        "NK1": "SI XPN CE XAD XTN XTN CE DT DT ST JCC CX XON CE IS TS IS IS IS CE CE IS CE ID IS CE XPN CE CE CE XPN XTN XAD CX IS CE IS ST ST IS",
        "PV1": "SI IS PL IS CX PL XCN XCN XCN IS PL IS IS IS IS IS XCN IS CX FC IS IS IS IS DT NM NM IS IS DT IS NM NM IS DT IS DLD CE IS IS IS PL PL TS TS NM NM NM NM CX IS XCN",
        "PV2": "PL CE CE CE ST ST IS TS TS NM NM ST XCN DT ID IS DT IS ID NM IS ID XON IS IS DT IS DT DT CE IS ID TS ID ID ID ID CE CE CE CE CE IS IS CE DT TS",
        "DG1": "SI ID CE ST TS IS CE CE ID IS CE NM CP ST ID XCN IS ID TS EI ID",
        "AL1": "SI CE CE CE ST DT",
        "IN1": "SI CE CX XON XAD XPN XTN ST XON CX XON DT DT AUI IS XPN CE TS XAD IS IS ST ID DT ID DT IS ST TS XCN IS IS NM NM IS ST CP CP NM CP CP CE IS XAD ST ST IS IS CX",
        "OBR": "SI EI EI CE ID TS TS TS CQ XCN ID CE ST TS SPS XCN XTN ST ST ST ST TS MOC ID ID PRL TQ XCN EIP ID CE NDL NDL NDL NDL TS NM CE CE CE ID ID CE CE CE CE CE CWE IS CWE",
        "OBX": "SI ID CE ST varies CE ST IS NM ID ID TS ST TS CE XCN CE EI TS",
        "ORC": "ID EI EI EI ID ID TQ EIP TS XCN XCN XCN PL XTN TS CE CE CE XCN CE XON XAD XTN XAD CWE CWE TS CWE CWE CNE",
        "NTE": "SI ID FT CE",
        "RF1": "CE CE CE CE CE EI TS TS TS CE EI",
        "PRD": "CE XPN XAD PL XTN CE PLN TS TS",
        "CTD": "CE XPN XAD PL XTN CE PLN",
        "SCH": "EI EI NM EI EI CE CE CE NM CE TQ XCN XTN XAD PL XCN XTN XAD PL XCN XTN PL XAD EI EI EI EI",
        "AIS": "SI ID CE TS NM CE NM CE IS CE",
        "AIG": "SI ID CE CE CE NM CE TS NM CE NM CE IS CE",
        "AIL": "SI ID PL CE CE TS NM CE NM CE IS CE",
        "AIP": "SI ID XCN CE CE TS NM CE NM CE IS CE",
        "RGS": "SI ID CE",
        "MRG": "CX CX CX CX CX CX XPN",
        "MSA": "ID ST ST NM ID CE",
        "ERR": "ELD ERL CWE ID CWE ST TX TX IS CWE XCN XTN",
    ]

    /// Component data types per composite type (v2.5.1), space-separated, component 1 first.
    static let componentTable: [String: String] = [
        "AUI": "ST DT ST",
        "CE": "ST ST ID ST ST ID",
        "CNE": "ST ST ID ST ST ID ST ST ST",
        "CNN": "ST ST ST ST ST ST IS IS IS ID",
        "CP": "MO ID NM NM CE ID",
        "CQ": "NM CE",
        "CWE": "ST ST ID ST ST ID ST ST ST",
        "CX": "ST ST ID HD ID HD DT DT CWE CWE",
        "DLD": "IS TS",
        "DLN": "ST IS DT",
        "DR": "TS TS",
        "EI": "ST IS ST ID",
        "EIP": "EI EI",
        "ELD": "ST NM NM CE",
        "ERL": "ST NM NM NM NM NM",
        "FC": "IS TS",
        "FN": "ST ST ST ST ST",
        "HD": "IS ST ID",
        "JCC": "IS IS TX",
        "MO": "NM ID",
        "MOC": "MO CE",
        "MSG": "ID ID ID",
        "NDL": "CNN TS TS IS IS IS IS IS IS HD IS",
        "PL": "IS IS IS HD IS IS IS HD ST EI",
        "PLN": "ST IS ST DT",
        "PRL": "CE ST TX",
        "PT": "ID ID",
        "RI": "IS ST",
        "SAD": "ST ST ST",
        "SPS": "CWE CWE CWE CWE CWE CWE CWE",
        "TQ": "CQ RI ST TS TS ST ST TX ID ST TS NM",
        "TS": "DTM ID",
        "VID": "ID CE CE",
        "XAD": "SAD ST ST ST ST ID ID ST IS IS ID DR TS TS",
        "XCN": "ST FN ST ST ST ST IS IS HD ID ST ID ID HD ID CE DR ID TS TS ST CWE CWE",
        "XON": "ST IS NM NM ST HD ID HD ID ST",
        "XPN": "FN ST ST ST ST IS ID ID CE DR ID TS TS ST",
        "XTN": "ST ID ID ST NM NM NM NM ST NM NM ST",
    ]

    /// Message structures (v2.5.1): segment ids in order, groups as `NAME(…)`. Every position
    /// may repeat or be absent when matching (the writer is lenient; it does not validate).
    static let structureTable: [String: String] = [
        "ADT_A01": "MSH SFT EVN PID PD1 ROL NK1 PV1 PV2 ROL DB1 OBX AL1 DG1 DRG PROCEDURE(PR1 ROL) GT1 INSURANCE(IN1 IN2 IN3 ROL) ACC UB1 UB2 PDA",
        "ADT_A03": "MSH SFT EVN PID PD1 ROL NK1 PV1 PV2 ROL DB1 AL1 DG1 DRG PROCEDURE(PR1 ROL) OBX GT1 INSURANCE(IN1 IN2 IN3 ROL) ACC PDA",
        "SIU_S12": "MSH SFT SCH TQ1 NTE PATIENT(PID PD1 PV1 PV2 OBX DG1) RESOURCES(RGS SERVICE(AIS NTE) GENERAL_RESOURCE(AIG NTE) LOCATION_RESOURCE(AIL NTE) PERSONNEL_RESOURCE(AIP NTE))",
        "REF_I12": "MSH SFT RF1 AUTHORIZATION_CONTACT(AUT CTD) PROVIDER_CONTACT(PRD CTD) PID NK1 GT1 INSURANCE(IN1 IN2 IN3) ACC DG1 DRG AL1 PROCEDURE(PR1 AUTHORIZATION_CONTACT(AUT CTD)) OBSERVATION(OBR NTE RESULTS_NOTES(OBX NTE)) PATIENT_VISIT(PV1 PV2) NTE",
        "RRI_I12": "MSH SFT MSA RF1 AUTHORIZATION_CONTACT(AUT CTD) PROVIDER_CONTACT(PRD CTD) PID ACC DG1 DRG AL1 PROCEDURE(PR1 AUTHORIZATION_CONTACT(AUT CTD)) OBSERVATION(OBR NTE RESULTS_NOTES(OBX NTE)) PATIENT_VISIT(PV1 PV2) NTE",
        "ACK": "MSH SFT MSA ERR",
    ]

    /// Message types (`MSH-9.1_MSH-9.2`) that use another type's structure (v2.5.1).
    static let structureAliases: [String: String] = [
        "ADT_A04": "ADT_A01", "ADT_A08": "ADT_A01", "ADT_A13": "ADT_A01",
        "SIU_S13": "SIU_S12", "SIU_S14": "SIU_S12", "SIU_S15": "SIU_S12", "SIU_S16": "SIU_S12",
        "SIU_S17": "SIU_S12", "SIU_S26": "SIU_S12",
        "REF_I13": "REF_I12", "REF_I14": "REF_I12", "REF_I15": "REF_I12",
        "RRI_I13": "RRI_I12", "RRI_I14": "RRI_I12", "RRI_I15": "RRI_I12",
    ]

    /// One position of a message structure: a segment (``children`` empty), or a group of
    /// positions. (A plain struct rather than an indirect enum: LeakSanitizer cannot follow the
    /// tagged box pointers of indirect enums held in a global and reports them as leaks.)
    struct StructureItem: Sendable {
        /// The segment id, or the group name (`INSURANCE`).
        var name: String
        var isGroup: Bool
        var children: [StructureItem]
        /// The segment a group starts with (its own id for a segment).
        var firstSegment: String?

        static func segment(_ id: String) -> StructureItem {
            StructureItem(name: id, isGroup: false, children: [], firstSegment: id)
        }

        static func group(_ name: String, _ children: [StructureItem]) -> StructureItem {
            StructureItem(name: name, isGroup: true, children: children, firstSegment: children.first?.firstSegment)
        }
    }

    /// The parsed structures of ``structureTable``.
    static let structures: [String: [StructureItem]] = structureTable.mapValues { text in
        var tokens = Substring(text)
        return parseItems(&tokens)
    }

    /// `A B G(C D) E` → items; stops at `)` or the end.
    static func parseItems(_ text: inout Substring) -> [StructureItem] {
        var items: [StructureItem] = []
        while let c = text.first {
            if c == " " { text.removeFirst(); continue }
            if c == ")" { text.removeFirst(); break }
            let name = text.prefix { $0 != " " && $0 != "(" && $0 != ")" }
            text.removeFirst(name.count)
            if text.first == "(" {
                text.removeFirst()
                items.append(.group(String(name), parseItems(&text)))
            } else {
                items.append(.segment(String(name)))
            }
        }
        return items
    }

    /// Field data types per segment, parsed once from ``segmentFieldTable``.
    static let segmentFields: [String: [String]] = segmentFieldTable.mapValues { $0.split(separator: " ").map(String.init) }

    /// Component data types per composite type, parsed once from ``componentTable``.
    static let componentTypes: [String: [String]] = componentTable.mapValues { $0.split(separator: " ").map(String.init) }

    /// The data type of field `n` of `segment`, or `nil` when unknown.
    public static func fieldType(segment: String, field n: Int) -> String? {
        guard let types = segmentFields[segment], n >= 1, n <= types.count else { return nil }
        return types[n - 1]
    }

    /// The data type of component `k` of composite type `type`, or `nil` when unknown.
    public static func componentType(of type: String, component k: Int) -> String? {
        guard let types = componentTypes[type], k >= 1, k <= types.count else { return nil }
        return types[k - 1]
    }

    /// True when `type` has components (it is in ``componentTypes``).
    public static func isComposite(_ type: String) -> Bool {
        componentTypes[type] != nil
    }
}
