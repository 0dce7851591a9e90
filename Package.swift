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
        .library(name: "MLLP", targets: ["MLLP"]),
        .library(name: "Caseload", targets: ["Caseload"]),
        .library(name: "CaseloadStore", targets: ["CaseloadStore"]),
        .library(name: "Integration", targets: ["Integration"]),
        .library(name: "Outbox", targets: ["Outbox"]),
        .library(name: "SwitchboardDaemon", targets: ["SwitchboardDaemon"]),
        .executable(name: "switchboard", targets: ["switchboard"]),
        // Fixtures and fault-injecting I/O for tests and the Benchmarks package.
        .library(name: "SwitchboardTestSupport", targets: ["SwitchboardTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
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
        // The system zlib, for gzip-compressed replay archives.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Outbound delivery: the per-destination state machine (pure) and its transport protocol.
        .target(
            name: "Outbox",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // HL7 v2.xml <-> the HL7 model, through a hardened libxml2 streaming reader.
        .target(name: "HL7XML", dependencies: ["HL7", "CLibXML2"], swiftSettings: strictSettings),
        // Segmented append-only log of opaque records.
        .target(
            name: "Journal",
            dependencies: [
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // MLLP framing, server and client on bytes, with limits and optional TLS.
        .target(
            name: "MLLP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The caseload domain: entities, rules, decisions and events. Pure values, no I/O.
        .target(name: "Caseload", swiftSettings: strictSettings),
        // Versioned journal record codecs and the durable duplicate index over the journal.
        .target(
            name: "CaseloadStore",
            dependencies: [
                "Journal", "Caseload", "Outbox",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The inbound pipeline: peek, parse, validate, dedupe, append + sync, ACK.
        .target(
            name: "Integration",
            dependencies: [
                "HL7", "HL7XML", "Caseload", "CaseloadStore", "Outbox",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // prctl(PR_SET_DUMPABLE) for the daemon (variadic in C, so not callable from Swift).
        .target(name: "CProcessControl"),
        // Wiring: configuration, listeners, the service group.
        .target(
            name: "SwitchboardDaemon",
            dependencies: [
                "HL7", "HL7XML", "Journal", "MLLP", "Caseload", "CaseloadStore", "Integration", "Outbox", "CProcessControl", "CZlib",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SwitchboardTestSupport",
            dependencies: [
                "HL7", "Journal", "MLLP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "HL7",
                "HL7XML",
                "Journal",
                "Caseload",
                "CaseloadStore",
                "Outbox",
                "MLLP",
                "SwitchboardDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
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
            name: "MLLPTests",
            dependencies: [
                "MLLP", "SwitchboardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CaseloadTests",
            dependencies: ["Caseload", "CaseloadStore", "SwitchboardTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "OutboxTests",
            dependencies: ["Outbox", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CaseloadStoreTests",
            dependencies: [
                "CaseloadStore", "Caseload", "Outbox", "Journal", "SwitchboardTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Integration", "Caseload", "CaseloadStore", "Outbox", "HL7", "HL7XML", "Journal", "SwitchboardTestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwitchboardDaemonTests",
            dependencies: [
                "Integration", "Caseload", "CaseloadStore", "Outbox",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                "SwitchboardDaemon", "MLLP", "HL7", "HL7XML", "Journal", "SwitchboardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwitchboardCLITests",
            dependencies: ["HL7", "SwitchboardTestSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
    ]
)
