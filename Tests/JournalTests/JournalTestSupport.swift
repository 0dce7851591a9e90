// Helpers shared by the journal tests: temporary directories, journals over simulated disks,
// deterministic payloads and the one-JSON-line figures every T-test prints.
import Glibc
import Journal
import SwitchboardTestSupport

/// The journal directory used on simulated disks.
let simulatedDirectory = "/state/journal"

/// A configuration for the simulated disk, adjusted by `tweak`.
func simulatedConfiguration(_ tweak: (inout JournalConfiguration) -> Void = { _ in }) -> JournalConfiguration {
    var configuration = JournalConfiguration(directory: simulatedDirectory)
    tweak(&configuration)
    return configuration
}

/// A simulated disk with the state directory present.
func makeSimulatedDisk() -> CrashSimStorage {
    let disk = CrashSimStorage()
    try! disk.createDirectory("/state")
    return disk
}

/// A fresh private temporary directory on the real file system.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/journal-test-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    return String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Removes a directory tree (test cleanup).
func removeTree(_ path: String) {
    _ = system("rm -rf '\(path)'")
}

/// A deterministic payload for record `index`, `size` bytes long.
func payload(_ index: Int, size: Int) -> [UInt8] {
    var random = SeededGenerator(seed: UInt64(index) &* 7919 &+ UInt64(size))
    return random.bytes(size)
}

/// Prints one JSON line of figures, as TESTPLAN asks: `{"test":"T3","pass":true,...}`.
func printFigures(_ test: String, pass: Bool, _ figures: [(String, any Sendable)]) {
    var line = "{\"test\":\"\(test)\",\"pass\":\(pass)"
    for (key, value) in figures {
        let rendered: String
        switch value {
        case let text as String: rendered = "\"\(text)\""
        case let flag as Bool: rendered = flag ? "true" : "false"
        case let number as Double: rendered = "\((number * 10).rounded() / 10)"
        default: rendered = "\(value)"
        }
        line += ",\"\(key)\":\(rendered)"
    }
    print(line + "}")
}

/// Monotonic seconds, for the informational rates in the figures (never asserted).
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Builds a 100-record journal (one append per batch, variable sizes) on a simulated disk and
/// returns the segment image and the offset where each record starts (each batch starts on a
/// sector boundary, so a record's zero padding counts as part of it).
func buildReferenceJournal(records: Int = 100, seed: UInt64 = 3) async throws -> (bytes: [UInt8], starts: [Int], payloads: [[UInt8]]) {
    let disk = makeSimulatedDisk()
    let journal = try await FileJournal.open(simulatedConfiguration(), storage: disk)
    var random = SeededGenerator(seed: seed)
    var payloads: [[UInt8]] = []
    var starts: [Int] = []
    var offset = 0
    for index in 0..<records {
        let item = payload(index, size: Int(random.next() % 300) + 1)
        starts.append(offset)
        offset = SectorLayout.alignUp(offset + RecordHeader.size + item.count)
        _ = try await journal.append(item)
        payloads.append(item)
    }
    await journal.close()
    let bytes = disk.contents(of: simulatedDirectory + "/" + JournalFileName.segment(firstSequence: 1).name)!
    precondition(bytes.count == offset)
    return (bytes, starts, payloads)
}

/// A simulated disk holding one segment (seq 1) with exactly `bytes`.
func diskWithSegment(_ bytes: [UInt8]) -> CrashSimStorage {
    let disk = makeSimulatedDisk()
    try! disk.createDirectory(simulatedDirectory)
    disk.setContents(of: simulatedDirectory + "/" + JournalFileName.segment(firstSequence: 1).name, to: bytes)
    return disk
}
