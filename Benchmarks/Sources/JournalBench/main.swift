// journal-bench: durable append throughput and recovery time of the file journal (DESIGN §10),
// next to plain write+fdatasync loops measured in the same run on the same disk.
//
//   swift run -c release --package-path Benchmarks journal-bench [DIR]
//
// DIR defaults to /tmp; each measurement uses a fresh subdirectory, removed afterwards.
// Environment: JOURNAL_BENCH_RECORDS (recovery size, default 1000000).
import Glibc
import Journal
import Logging

let recordSize = 1024
let baseDirectory = CommandLine.arguments.dropFirst().first ?? "/tmp"
let recoveryRecords = getenv("JOURNAL_BENCH_RECORDS").flatMap { Int(String(cString: $0)) } ?? 1_000_000

func freshDirectory(_ name: String) -> String {
    let path = "\(baseDirectory)/journal-bench-\(getpid())-\(name)"
    _ = system("rm -rf '\(path)' && mkdir -p -m 700 '\(path)'")
    return path
}

func removeDirectory(_ path: String) { _ = system("rm -rf '\(path)'") }

func seconds(_ duration: Duration) -> Double {
    let (s, atto) = duration.components
    return Double(s) + Double(atto) / 1e18
}

func format(_ value: Double, _ decimals: Int = 0) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return decimals == 0 ? String(Int(rounded)) : String(rounded)
}

let logger: Logger = {
    var logger = Logger(label: "journal-bench")
    logger.logLevel = .warning
    return logger
}()
let record = [UInt8]((0..<recordSize).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) })
var results: [(String, String)] = []
@MainActor func report(_ key: String, _ value: String, _ note: String = "") {
    results.append((key, value))
    print("\(key): \(value)\(note.isEmpty ? "" : "  (\(note))")")
}

// Plain C-style loops: the reference figures.
func plainLoop(records: Int, syncEvery: Int) -> Double {
    let directory = freshDirectory("plain-\(syncEvery)")
    defer { removeDirectory(directory) }
    let fd = open("\(directory)/data", O_RDWR | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0)
    defer { close(fd) }
    let clock = ContinuousClock()
    let start = clock.now
    record.withUnsafeBytes { bytes in
        for index in 0..<records {
            let written = pwrite(fd, bytes.baseAddress, bytes.count, off_t(index * recordSize))
            precondition(written == bytes.count)
            if (index + 1) % syncEvery == 0 { precondition(fdatasync(fd) == 0) }
        }
    }
    return Double(records) / seconds(clock.now - start)
}

func crcThroughput() -> Double {
    let data = [UInt8](repeating: 0xA5, count: 64 << 20)
    let clock = ContinuousClock()
    let start = clock.now
    var sink: UInt32 = 0
    for _ in 0..<8 { sink ^= CRC32C.checksum(data) }
    let elapsed = seconds(clock.now - start)
    precondition(sink != 1)
    return Double(8 * data.count) / elapsed / 1e9
}

func singleAppender(records: Int) async throws -> Double {
    let directory = freshDirectory("single")
    defer { removeDirectory(directory) }
    let journal = try await FileJournal.open(JournalConfiguration(stateDirectory: directory), logger: logger)
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<records { _ = try await journal.append(record) }
    let rate = Double(records) / seconds(clock.now - start)
    await journal.close()
    return rate
}

func concurrentAppenders(tasks: Int, recordsPerTask: Int) async throws -> (rate: Double, batches: Double) {
    let directory = freshDirectory("concurrent")
    defer { removeDirectory(directory) }
    let journal = try await FileJournal.open(JournalConfiguration(stateDirectory: directory), logger: logger)
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<tasks {
            group.addTask {
                for _ in 0..<recordsPerTask { _ = try await journal.append(record) }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = seconds(clock.now - start)
    let statistics = journal.batchStatistics
    await journal.close()
    return (Double(tasks * recordsPerTask) / elapsed, Double(statistics.records) / Double(max(statistics.batches, 1)))
}

func recovery(records: Int) async throws -> [Double] {
    let directory = freshDirectory("recovery")
    defer { removeDirectory(directory) }
    let configuration = JournalConfiguration(stateDirectory: directory)
    do {
        let journal = try await FileJournal.open(configuration, logger: logger)
        let batch = [[UInt8]](repeating: record, count: 256)
        var written = 0
        while written < records {
            let count = min(256, records - written)
            _ = try await journal.append(contentsOf: count == 256 ? batch : Array(batch.prefix(count)))
            written += count
        }
        await journal.close()
    }
    var timings: [Double] = []
    for _ in 0..<3 {
        let clock = ContinuousClock()
        let start = clock.now
        let journal = try await FileJournal.open(configuration, logger: logger)
        let elapsed = seconds(clock.now - start)
        precondition(journal.recovery.lastSequence == UInt64(records), "recovered \(journal.recovery.lastSequence)")
        precondition(journal.recovery.recordsScanned == records)
        await journal.close()
        timings.append(elapsed)
    }
    return timings
}

print("journal-bench: \(recordSize)-byte records, directory \(baseDirectory)")
report("crc32c_gb_per_s", format(crcThroughput(), 2), "slicing-by-16, one core")

// (a) and its reference alternate, three rounds, so disk noise hits both alike; medians reported.
var plainEachRuns: [Double] = []
var singleRuns: [Double] = []
for _ in 0..<3 {
    plainEachRuns.append(plainLoop(records: 3_000, syncEvery: 1))
    singleRuns.append(try await singleAppender(records: 3_000))
}
plainEachRuns.sort()
singleRuns.sort()
let plainEach = plainEachRuns[1]
let single = singleRuns[1]
report("plain_write_fdatasync_each_per_s", format(plainEach), "reference for (a); runs \(plainEachRuns.map { format($0) })")
let plain64 = plainLoop(records: 200_000, syncEvery: 64)
report("plain_write_fdatasync_per_64_per_s", format(plain64), "reference for (b)")
report("a_single_appender_per_s", format(single), "target: within 1.5x of plain each, i.e. >= \(format(plainEach / 1.5)); runs \(singleRuns.map { format($0) })")
report("a_ratio_plain_over_journal", format(plainEach / single, 2))

var concurrentRuns: [(rate: Double, batches: Double)] = []
for _ in 0..<3 {
    concurrentRuns.append(try await concurrentAppenders(tasks: 64, recordsPerTask: 3_125))
}
concurrentRuns.sort { $0.rate < $1.rate }
report("b_64_appenders_per_s_median", format(concurrentRuns[1].rate), "target >= 150000; runs \(concurrentRuns.map { format($0.rate) })")
report("b_records_per_batch_median_run", format(concurrentRuns[1].batches, 1))

let timings = try await recovery(records: recoveryRecords).sorted()
report("c_recovery_\(recoveryRecords)_records_s_median", format(timings[1], 3), "target <= 2 s, warm page cache; runs \(timings.map { format($0, 3) })")

var json = "{\"bench\":\"journal\""
for (key, value) in results { json += ",\"\(key)\":\(value)" }
print(json + "}")
