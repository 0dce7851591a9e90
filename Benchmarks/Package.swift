// swift-tools-version: 6.1
// Benchmarks for Switchboard. Always run from a release build:
//   swift run -c release --package-path Benchmarks hl7-bench
//   swift run -c release --package-path Benchmarks journal-bench
//   swift run -c release --package-path Benchmarks xml-bench
//   swift run -c release --package-path Benchmarks inbound-bench [messages] [window]
//   swift run -c release --package-path Benchmarks caseload-bench [patients]
import PackageDescription

let package = Package(
    name: "SwitchboardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Switchboard", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "hl7-bench",
            dependencies: [
                .product(name: "HL7", package: "Switchboard"),
                .product(name: "SwitchboardTestSupport", package: "Switchboard"),
            ],
            path: "Sources/HL7Bench"
        ),
        .executableTarget(
            name: "xml-bench",
            dependencies: [
                .product(name: "HL7", package: "Switchboard"),
                .product(name: "HL7XML", package: "Switchboard"),
                .product(name: "SwitchboardTestSupport", package: "Switchboard"),
            ],
            path: "Sources/XMLBench"
        ),
        .executableTarget(
            name: "inbound-bench",
            dependencies: [
                .product(name: "Integration", package: "Switchboard"),
                .product(name: "CaseloadStore", package: "Switchboard"),
                .product(name: "Journal", package: "Switchboard"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/InboundBench"
        ),
        .executableTarget(
            name: "caseload-bench",
            dependencies: [
                .product(name: "Caseload", package: "Switchboard"),
                .product(name: "CaseloadStore", package: "Switchboard"),
            ],
            path: "Sources/CaseloadBench"
        ),
        .executableTarget(
            name: "journal-bench",
            dependencies: [.product(name: "Journal", package: "Switchboard")],
            path: "Sources/JournalBench"
        ),
    ]
)
