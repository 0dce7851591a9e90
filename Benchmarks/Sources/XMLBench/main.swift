// HL7 v2.xml benchmark (issue 3, DESIGN §10). Run from a release build:
//   swift run -c release --package-path Benchmarks xml-bench [--seconds S] [--messages N]
// The synthetic ER7 corpus (mixed ADT/SIU/REF/ORU) is converted to HL7 v2.xml once; then, on one
// core: XML parse to the model (libxml2 streaming reader + mapping + ER7 index), the mapping to
// ER7 bytes alone, and model to XML. MB/s counts XML bytes (read or written).
// --only a|b|c runs one measurement (for profiling).
import HL7
import HL7XML
#if canImport(Glibc)
import Glibc
#endif
import SwitchboardTestSupport

var seconds = 1.0
var messageCount = 2_000
var only: String?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--seconds": seconds = Double(args.popFirst() ?? "") ?? seconds
    case "--messages": messageCount = Int(args.popFirst() ?? "") ?? messageCount
    case "--only": only = args.popFirst()
    default: print("usage: xml-bench [--seconds S] [--messages N] [--only a|b|c]"); exit(2)
    }
}

let er7Corpus = SyntheticMessages.mixedCorpus(count: messageCount, seed: 42)
let models = try er7Corpus.map { try HL7Message(parsing: $0) }
let xmlCorpus = models.map { HL7XMLWriter.document($0) }
let xmlBytes = xmlCorpus.reduce(0) { $0 + $1.count }
let er7Bytes = er7Corpus.reduce(0) { $0 + $1.count }
print("corpus: \(xmlCorpus.count) messages, \(xmlBytes) XML bytes (mean \(xmlBytes / xmlCorpus.count) B), \(er7Bytes) ER7 bytes")

nonisolated(unsafe) var sink = 0

/// Runs `body` over the corpus (by index) for about `seconds` per round, 5 rounds; prints best
/// and median MB/s (of `bytesPerPass`) and messages/s.
@MainActor
func measure(_ name: String, bytesPerPass: Int, _ body: (Int) throws -> Int) rethrows {
    if let only, !name.hasPrefix("(" + only + ")") { return }
    for i in 0..<min(200, xmlCorpus.count) { sink &+= try body(i) }
    let rates = try BenchmarkRounds.passesPerSecond(seconds: seconds) {
        for i in 0..<xmlCorpus.count { sink &+= try body(i) }
    }
    let best = rates.last!, median = rates[rates.count / 2]
    func mb(_ passesPerSecond: Double) -> String { String(Int((passesPerSecond * Double(bytesPerPass) / 1e6).rounded())) }
    let msgs = Int(median * Double(xmlCorpus.count))
    print("\(name.padding(34)) best \(mb(best)) MB/s  median \(mb(median)) MB/s  (\(msgs) msg/s)")
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}

try measure("(a) XML parse to model", bytesPerPass: xmlBytes) { i in
    try HL7XMLReader.message(xmlCorpus[i]).segmentCount
}
try measure("(b) XML to ER7 bytes (mapping only)", bytesPerPass: xmlBytes) { i in
    try HL7XMLReader.er7(xmlCorpus[i]).count
}
measure("(c) model to XML", bytesPerPass: xmlBytes) { i in
    HL7XMLWriter.document(models[i]).count
}
print("sink \(sink)")
