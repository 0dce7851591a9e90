// swift-tools-version: 6.1
// Benchmarks for Switchboard. Always run from a release build:
//   swift run -c release --package-path Benchmarks hl7-bench
//   swift run -c release --package-path Benchmarks journal-bench
//   swift run -c release --package-path Benchmarks xml-bench
import PackageDescription

let package = Package(
    name: "SwitchboardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Switchboard", path: ".."),
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
            name: "journal-bench",
            dependencies: [.product(name: "Journal", package: "Switchboard")],
            path: "Sources/JournalBench"
        ),
    ]
)
