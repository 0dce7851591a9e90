extension HL7Value {
    /// Part `n` (1-based) of a composite value at whatever level it sits: component `n` of a
    /// field's first repetition or of a repetition, subcomponent `n` of a component (a composite
    /// inside a component, like CX-4's HD, is written with subcomponents).
    public func part(_ n: Int) -> HL7Value {
        switch level {
        case .field, .repetition: component(n)
        case .component: self[n]
        case .subcomponent: n == 1 ? self : emptyChild(at: byteRange.upperBound, level: .subcomponent)
        }
    }

    /// The decoded text of part `n`, `nil` when empty.
    func partText(_ n: Int) -> String? { part(n).nonEmptyText }
}

/// HD, hierarchic designator: an application, facility or assigning authority.
public struct HL7HierarchicDesignator: Hashable, Sendable {
    public var namespaceID: String?
    public var universalID: String?
    public var universalIDType: String?

    public init(namespaceID: String? = nil, universalID: String? = nil, universalIDType: String? = nil) {
        self.namespaceID = namespaceID
        self.universalID = universalID
        self.universalIDType = universalIDType
    }

    /// Reads HD from a field, repetition or component (then from its subcomponents).
    public init(_ v: HL7Value) {
        namespaceID = v.partText(1)
        universalID = v.partText(2)
        universalIDType = v.partText(3)
    }

    /// True when no part is set.
    public var isEmpty: Bool { namespaceID == nil && universalID == nil && universalIDType == nil }
}

/// CX, extended composite id with check digit: a patient identifier such as an MRN.
public struct HL7ExtendedID: Hashable, Sendable {
    public var id: String?
    public var checkDigit: String?
    public var checkDigitScheme: String?
    public var assigningAuthority: HL7HierarchicDesignator
    /// Table 0203: MR, PI, AN, VN, SS…
    public var identifierTypeCode: String?
    public var assigningFacility: HL7HierarchicDesignator
    public var effectiveDate: String?
    public var expirationDate: String?

    public init(_ v: HL7Value) {
        id = v.partText(1)
        checkDigit = v.partText(2)
        checkDigitScheme = v.partText(3)
        assigningAuthority = HL7HierarchicDesignator(v.part(4))
        identifierTypeCode = v.partText(5)
        assigningFacility = HL7HierarchicDesignator(v.part(6))
        effectiveDate = v.partText(7)
        expirationDate = v.partText(8)
    }
}

/// XPN, extended person name.
public struct HL7PersonName: Hashable, Sendable {
    /// XPN-1.1, the surname.
    public var family: String?
    public var given: String?
    /// Second and further given names or initials.
    public var middle: String?
    public var suffix: String?
    public var prefix: String?
    public var degree: String?
    /// Table 0200: L legal, D display, M maiden…
    public var nameTypeCode: String?

    public init(_ v: HL7Value) {
        self.init(v, startingAt: 1)
        nameTypeCode = v.partText(7)
    }

    /// Reads the name parts from components `first`...`first + 5` (XPN-1...6, XCN-2...7).
    init(_ v: HL7Value, startingAt first: Int) {
        family = v.partText(first)
        given = v.partText(first + 1)
        middle = v.partText(first + 2)
        suffix = v.partText(first + 3)
        prefix = v.partText(first + 4)
        degree = v.partText(first + 5)
        nameTypeCode = nil
    }
}

/// XAD, extended address.
public struct HL7Address: Hashable, Sendable {
    /// XAD-1.1, street or mailing address.
    public var street: String?
    public var otherDesignation: String?
    public var city: String?
    public var stateOrProvince: String?
    public var postalCode: String?
    public var country: String?
    /// Table 0190: H home, B business, M mailing…
    public var addressType: String?
    public var otherGeographicDesignation: String?
    public var county: String?

    public init(_ v: HL7Value) {
        street = v.partText(1)
        otherDesignation = v.partText(2)
        city = v.partText(3)
        stateOrProvince = v.partText(4)
        postalCode = v.partText(5)
        country = v.partText(6)
        addressType = v.partText(7)
        otherGeographicDesignation = v.partText(8)
        county = v.partText(9)
    }
}

/// XTN, extended telecommunication number.
public struct HL7TelecomNumber: Hashable, Sendable {
    /// XTN-1, the number as one string (deprecated from v2.6, still common).
    public var formatted: String?
    /// Table 0201: PRN, WPN, NET…
    public var useCode: String?
    /// Table 0202: PH, CP, Internet…
    public var equipmentType: String?
    public var emailAddress: String?
    public var countryCode: String?
    public var areaCode: String?
    public var localNumber: String?
    public var `extension`: String?
    public var anyText: String?

    public init(_ v: HL7Value) {
        formatted = v.partText(1)
        useCode = v.partText(2)
        equipmentType = v.partText(3)
        emailAddress = v.partText(4)
        countryCode = v.partText(5)
        areaCode = v.partText(6)
        localNumber = v.partText(7)
        `extension` = v.partText(8)
        anyText = v.partText(9)
    }
}

/// CWE (and its predecessor CE): a coded value with text and coding system.
public struct HL7CodedElement: Hashable, Sendable {
    public var identifier: String?
    public var text: String?
    public var codingSystem: String?
    public var alternateIdentifier: String?
    public var alternateText: String?
    public var alternateCodingSystem: String?

    public init(identifier: String? = nil, text: String? = nil, codingSystem: String? = nil) {
        self.identifier = identifier
        self.text = text
        self.codingSystem = codingSystem
    }

    public init(_ v: HL7Value) {
        identifier = v.partText(1)
        text = v.partText(2)
        codingSystem = v.partText(3)
        alternateIdentifier = v.partText(4)
        alternateText = v.partText(5)
        alternateCodingSystem = v.partText(6)
    }
}

/// PL, person location: where a patient is (PV1-3) or was.
public struct HL7PersonLocation: Hashable, Sendable {
    public var pointOfCare: String?
    public var room: String?
    public var bed: String?
    public var facility: HL7HierarchicDesignator
    public var locationStatus: String?
    public var personLocationType: String?
    public var building: String?
    public var floor: String?
    public var locationDescription: String?

    public init(_ v: HL7Value) {
        pointOfCare = v.partText(1)
        room = v.partText(2)
        bed = v.partText(3)
        facility = HL7HierarchicDesignator(v.part(4))
        locationStatus = v.partText(5)
        personLocationType = v.partText(6)
        building = v.partText(7)
        floor = v.partText(8)
        locationDescription = v.partText(9)
    }
}

/// XCN, extended composite id number and name for persons: a doctor or other staff member.
public struct HL7StaffMember: Hashable, Sendable {
    public var id: String?
    /// XCN-2...7 and XCN-10: family, given, middle, suffix, prefix, degree, name type.
    public var name: HL7PersonName
    public var sourceTable: String?
    public var assigningAuthority: HL7HierarchicDesignator
    public var identifierTypeCode: String?

    /// XCN-2.1, the surname.
    public var family: String? { name.family }
    public var given: String? { name.given }

    public init(_ v: HL7Value) {
        id = v.partText(1)
        name = HL7PersonName(v, startingAt: 2)
        name.nameTypeCode = v.partText(10)
        sourceTable = v.partText(8)
        assigningAuthority = HL7HierarchicDesignator(v.part(9))
        identifierTypeCode = v.partText(13)
    }
}
