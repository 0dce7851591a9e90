public import MLLP
public import NIOCore
public import NIOPosix

/// A lean MLLP load generator for `switchboard bench load`: synthetic ADT^A01 messages with
/// distinct control ids (`<run>-<connection>-<sequence>`), K connections with W frames in
/// flight each, ACKs checked by peeking at MSA-1/MSA-2, latencies kept in preallocated
/// arrays. It works on NIO channels directly (no async per message): it shares two cores with
/// the daemon it measures.
public enum LoadGenerator {
    /// Runs the load and reports.
    /// - Parameter eventLoopGroup: where the connections run (default: NIO's shared group,
    ///   one loop per core); connections are spread over its loops.
    /// - Throws: ``MLLPClientError`` with code `connectFailed` when a connection cannot be
    ///   made at the start.
    public static func run(
        _ configuration: LoadConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(MLLPClientError) -> LoadReport {
        precondition(configuration.connections >= 1 && configuration.window >= 1 && configuration.messages >= 0)
        let started = NIODeadline.now()
        let futures = (0..<configuration.connections).map { index -> EventLoopFuture<LoadConnectionResult> in
            let loop = eventLoopGroup.next()
            let promise = loop.makePromise(of: LoadConnectionResult.self)
            loop.execute {
                LoadConnection(loop: loop, configuration: configuration, index: index, finished: promise).start()
            }
            return promise.futureResult
        }
        var results: [LoadConnectionResult] = []
        var firstError: MLLPClientError?
        for future in futures {
            do {
                results.append(try await future.get())
            } catch {
                firstError = firstError ?? (error as? MLLPClientError)
                    ?? MLLPClientError(.connectFailed, peer: configuration.endpoint.description, "\(error)", underlying: error)
            }
        }
        if let firstError { throw firstError }
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        return report(configuration, results, seconds: seconds)
    }

    static func report(_ configuration: LoadConfiguration, _ results: [LoadConnectionResult], seconds: Double) -> LoadReport {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(results.reduce(0) { $0 + $1.latencies.count })
        for result in results { latencies += result.latencies }
        latencies.sort()
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let rank = Int((p * Double(latencies.count)).rounded(.up)) - 1
            return Double(latencies[max(0, min(latencies.count - 1, rank))]) / 1e6
        }
        func sum(_ key: KeyPath<LoadConnectionResult, Int>) -> Int { results.reduce(0) { $0 + $1[keyPath: key] } }
        return LoadReport(
            runID: configuration.runID, connections: configuration.connections, window: configuration.window,
            messages: configuration.messages, acknowledged: latencies.count, seconds: seconds,
            p50Milliseconds: percentile(0.50), p99Milliseconds: percentile(0.99),
            maxMilliseconds: Double(latencies.last ?? 0) / 1e6,
            notAccepted: sum(\.notAccepted), mismatched: sum(\.mismatched), unanswered: sum(\.unanswered),
            resends: sum(\.resends), reconnects: sum(\.reconnects))
    }
}
