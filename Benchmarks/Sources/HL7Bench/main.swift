// ER7 codec benchmark (issue 2, DESIGN §10). Run from a release build:
//   swift run -c release --package-path Benchmarks hl7-bench [--seconds S] [--messages N]
// Prints one line per measurement: best and median throughput over several timed rounds,
// on one core, over a deterministic synthetic corpus of mixed ADT/SIU/REF/ORU messages.
import HL7
#if canImport(Glibc)
import Glibc
#endif
import SwitchboardTestSupport

var seconds = 1.0
var messageCount = 5_000
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--seconds": seconds = Double(args.popFirst() ?? "") ?? seconds
    case "--messages": messageCount = Int(args.popFirst() ?? "") ?? messageCount
    default: print("usage: hl7-bench [--seconds S] [--messages N]"); exit(2)
    }
}

let corpus = SyntheticMessages.mixedCorpus(count: messageCount, seed: 42)
let totalBytes = corpus.reduce(0) { $0 + $1.count }
let large = corpus.filter { $0.count > 10_000 }
print("corpus: \(corpus.count) messages, \(totalBytes) bytes, mean \(totalBytes / corpus.count) B, \(large.count) large ORU of ~\(large.first?.count ?? 0) B")

nonisolated(unsafe) var sink = 0

/// Runs `body` over the whole corpus repeatedly for about `seconds` per round, 5 rounds;
/// prints best and median MB/s and messages/s.
@MainActor
func measure(_ name: String, _ body: ([UInt8]) throws -> Int) rethrows {
    // Warm-up.
    for m in corpus.prefix(500) { sink &+= try body(m) }
    let passes = try BenchmarkRounds.passesPerSecond(seconds: seconds) {
        for m in corpus { sink &+= try body(m) }
    }
    let best = passes.last! * Double(totalBytes), median = passes[passes.count / 2] * Double(totalBytes)
    let perMessage = Double(totalBytes) / Double(corpus.count)
    func mb(_ r: Double) -> String { String(Int((r / 1e6).rounded())) }
    print("\(name.padding(34)) best \(mb(best)) MB/s  median \(mb(median)) MB/s  (\(Int(median / perMessage)) msg/s)")
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}

let pid3: HL7Path = "PID-3.1"
let pid5: HL7Path = "PID-5"
let pv13: HL7Path = "PV1-3"
let pv119: HL7Path = "PV1-19"

measure("baseline: byte loop counting | CR") { m in
    var n = 0
    m.withUnsafeBufferPointer { p in for b in p where b == 0x7C || b == 0x0D { n &+= 1 } }
    return n
}
try measure("(a) parse to index") { m in
    try HL7Message(parsing: m).segmentCount
}
try measure("(b) parse + PID-3.1 PID-5 PV1-3 PV1-19") { m in
    let message = try HL7Message(parsing: m)
    return message[pid3].text.utf8.count &+ message[pid5].text.utf8.count
        &+ message[pv13].text.utf8.count &+ message[pv119].text.utf8.count
}
let parsed = try corpus.map { try HL7Message(parsing: $0) }
var cursor = 0
try measure("(c) serialize, terminators normalized") { _ in
    cursor = cursor == parsed.count - 1 ? 0 : cursor + 1
    return parsed[cursor].serialized(normalizingTerminators: true).count
}
print("sink \(sink & 1)")
