// swift-tools-version: 6.1
// Switchboard: an HL7 v2 interface daemon for care coordination.
// Layering and the dependency rule: ../shared/DESIGN.md §2 and docs/ARCHITECTURE.md.
import PackageDescription

/// One settings list for every target: Swift 6 language mode (complete strict concurrency)
/// plus the upcoming features that keep APIs honest.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "HL7", targets: ["HL7"]),
        .library(name: "HL7XML", targets: ["HL7XML"]),
        .library(name: "Journal", targets: ["Journal"]),
        .executable(name: "switchboard", targets: ["switchboard"]),
        // Fixtures and fault-injecting I/O for tests and the Benchmarks package.
        .library(name: "SwitchboardTestSupport", targets: ["SwitchboardTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Pure ER7 codec: standard library only.
        .target(name: "HL7", swiftSettings: strictSettings),
        // The system libxml2 (pkg-config libxml-2.0) behind a small shim header.
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // HL7 v2.xml <-> the HL7 model, through a hardened libxml2 streaming reader.
        .target(name: "HL7XML", dependencies: ["HL7", "CLibXML2"], swiftSettings: strictSettings),
        // Segmented append-only log of opaque records.
        .target(
            name: "Journal",
            dependencies: [
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SwitchboardTestSupport",
            dependencies: ["HL7", "Journal"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "HL7",
                "HL7XML",
                "Journal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HL7Tests",
            dependencies: ["HL7", "SwitchboardTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HL7XMLTests",
            dependencies: ["HL7", "HL7XML", "SwitchboardTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JournalTests",
            dependencies: ["Journal", "SwitchboardTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwitchboardCLITests",
            dependencies: ["HL7", "SwitchboardTestSupport"],
            swiftSettings: strictSettings
        ),
    ]
)
