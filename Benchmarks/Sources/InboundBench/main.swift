// The inbound pipeline without the network: parse → validate → dedupe → journal append +
// fdatasync → ACK, with W messages in flight, on a real journal in a temporary directory.
// Prints messages/s and the process CPU time per message (user + system, all threads).
//   swift run -c release --package-path Benchmarks inbound-bench [messages] [window]
import CaseloadStore
import Glibc
import Integration
import Journal
import Logging
import Synchronization

let arguments = CommandLine.arguments
let total = arguments.count > 1 ? Int(arguments[1])! : 200_000
let window = arguments.count > 2 ? Int(arguments[2])! : 256

func message(_ n: Int) -> [UInt8] {
    Array(("MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|SWB|CARE COORD|20261129083000||ADT^A01^ADT_A01|BENCH-\(n)|P|2.5.1\r"
        + "EVN|A01|20261129083000\r"
        + "PID|1||\(100_000 + n)^^^HOSP^MR||EVERYWOMAN^EVE^E^^^^L||19800101|F|||1 SYNTHETIC ST^^ANYTOWN^ST^00000||555-0100\r"
        + "PV1|1|I|WARD1^101^A^HOSP||||1234^CAREGIVER^CARL|||MED||||ADM|||||V\(n)|||||||||||||||||||||||||20261129080000\r").utf8)
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func threadCPUNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

func wallSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

var template = Array("/tmp/inbound-bench-XXXXXX".utf8CString)
_ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
let directory = String(cString: template)
let journal = try await FileJournal.open(JournalConfiguration(stateDirectory: directory))
let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
let store = try await InboundStore.open(journal: journal, logger: logger, nowMicroseconds: 0)
let pipeline = InboundPipeline(configuration: InboundConfiguration(), store: store, now: {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
})
let messages = (0..<total).map(message)
let inFlight = Atomic<Int>(0)
let done = Atomic<Int>(0)
let failures = Atomic<Int>(0)
let receipt = InboundReceipt(listener: "bench", peer: "127.0.0.1:1", receivedAtMicroseconds: 0)

var processNanoseconds: Int64 = 0
let cpuStart = cpuSeconds()
let wallStart = wallSeconds()
for frame in messages {
    while inFlight.load(ordering: .relaxed) >= window { sched_yield() }
    inFlight.add(1, ordering: .relaxed)
    let before = threadCPUNanoseconds()
    defer { processNanoseconds += threadCPUNanoseconds() - before }
    pipeline.process(frame, receipt: receipt) { result in
        if result.ackCode != "AA" { failures.add(1, ordering: .relaxed) }
        done.add(1, ordering: .relaxed)
        inFlight.subtract(1, ordering: .relaxed)
    }
}
while done.load(ordering: .relaxed) < total { sched_yield() }
let wall = wallSeconds() - wallStart
let cpu = cpuSeconds() - cpuStart
let batches = journal.batchStatistics
await journal.close()
_ = system("rm -rf '\(directory)'")
print("""
    inbound pipeline, \(total) ADT^A01 messages (\(messages[0].count) bytes), window \(window), real journal (fdatasync per batch)
      messages/s:        \(Int(Double(total) / wall))
      CPU µs/message:    \((cpu / Double(total) * 1e8).rounded() / 100) (all threads, incl. the producer spinning)
      process() CPU µs:  \((Double(processNanoseconds) / Double(total) / 10).rounded() / 100) per message (the synchronous part on the caller's thread)
      fsync batches:     \(batches.batches) (avg \(batches.records / max(1, batches.batches)) records)
      non-AA answers:    \(failures.load(ordering: .relaxed))
    """)
