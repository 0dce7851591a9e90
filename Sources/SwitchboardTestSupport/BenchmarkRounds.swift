/// The timing loop of the Benchmarks package: repeat whole passes over a corpus for about
/// `seconds` per round, several rounds, and report passes per second (DESIGN §10: figures come
/// from benchmarks, never from timed unit tests).
public enum BenchmarkRounds {
    /// Passes per second of each round, sorted ascending (best last, median in the middle).
    public static func passesPerSecond(seconds: Double, rounds: Int = 5, _ pass: () throws -> Void) rethrows -> [Double] {
        let clock = ContinuousClock()
        var rates: [Double] = []
        for _ in 0..<rounds {
            var passes = 0
            let start = clock.now
            var elapsed = Duration.zero
            repeat {
                try pass()
                passes += 1
                elapsed = clock.now - start
            } while elapsed < .milliseconds(Int64(seconds * 1000))
            let s = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            rates.append(Double(passes) / s)
        }
        return rates.sorted()
    }
}
