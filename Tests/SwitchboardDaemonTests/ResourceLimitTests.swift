// TESTPLAN T11 (slowloris), T12 (connection flood), T13 (oversized frame / junk), quick
// variants: hostile peers are cut off by the limits and the daemon keeps serving others.
import SwitchboardTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonTests {
    @Suite("resource limits (TESTPLAN T11-T13)")
    struct ResourceLimits {
        static let connectionCap = 64  // MLLPServerConfiguration default
        static let perAddressCap = 8

        @Test("T13 (quick): 0x0B + 64 MiB without end and 10 MiB of junk are cut off near the limits; memory stays bounded; others still served")
        func t13OversizedFrameAndJunk() throws {
            let maxFrame = 1_048_576
            let daemon = try Fixture.startDaemon(["--max-frame-bytes", String(maxFrame)])
            defer { daemon.cleanUp() }
            #expect(try Fixture.ack(try Fixture.adtA01(controlID: "T13-WARM"), port: daemon.port).isAccept)
            let rssBefore = try #require(daemon.residentBytes)

            // 0x0B then 64 MiB of 'A', streamed in 64 KiB chunks, never ended.
            let oversized = try LoopbackMLLPConnection(port: daemon.port, timeout: 10, sendBufferBytes: 64 * 1024)
            defer { oversized.close() }
            let total = 64 << 20
            let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 64 * 1024)
            var sent = oversized.sendRawCounting([0x0B]).sent
            var stoppedBySend = false
            while sent < total + 1 {
                let (n, error) = oversized.sendRawCounting(chunk)
                sent += n
                if let error { stoppedBySend = error.isClosedByPeer; break }  // a send timeout is not a close
            }
            let oversizedClosed = stoppedBySend || oversized.isClosedByPeer(within: 10)
            let peakAfterFrame = daemon.peakResidentBytes ?? 0
            let frameLine = daemon.waitForErrorLine(containing: "frameTooLarge", timeout: 30) ?? ""
            let closeAfterBytes = Self.number(before: " so far", in: frameLine) ?? -1

            // 10 MiB of junk, no 0x0B.
            let junk = try LoopbackMLLPConnection(port: daemon.port, timeout: 10, sendBufferBytes: 64 * 1024)
            defer { junk.close() }
            let junkChunk = [UInt8](repeating: UInt8(ascii: "J"), count: 64 * 1024)
            var junkSent = 0
            var junkStopped = false
            while junkSent < 10 << 20 {
                let (n, error) = junk.sendRawCounting(junkChunk)
                junkSent += n
                if let error { junkStopped = error.isClosedByPeer; break }
            }
            let junkClosed = junkStopped || junk.isClosedByPeer(within: 10)
            let junkLine = daemon.waitForErrorLine(containing: "tooMuchJunk", timeout: 30) ?? ""
            let junkCloseAfter = Self.number(before: " bytes outside a frame", in: junkLine) ?? -1

            // 0x1C without 0x0D: tolerated (documented), the frame is answered and so is the next.
            let missingCR = try LoopbackMLLPConnection(port: daemon.port, timeout: 10)
            defer { missingCR.close() }
            try missingCR.sendRaw([0x0B] + (try Fixture.adtA01(controlID: "T13-NOCR")) + [0x1C]
                + LoopbackMLLPConnection.frame(try Fixture.adtA01(controlID: "T13-AFTER-NOCR")))
            var missingCRAcks: [String] = []
            while missingCRAcks.count < 2, let frame = try missingCR.readFrame(timeout: 10) {
                missingCRAcks.append(AckSummary(frame)?.acknowledgedControlID ?? "?")
            }

            let good = try Fixture.ack(try Fixture.adtA01(controlID: "T13-GOOD"), port: daemon.port)
            let rssDelta = peakAfterFrame - rssBefore
            let rssBound = 2 * maxFrame + (16 << 20)

            var report = FaultReport("T13")
            report["max_frame_bytes"] = .int(maxFrame)
            report["close_after_bytes"] = .int(closeAfterBytes)
            report["client_sent_bytes"] = .int(sent)
            report["junk_close_after_bytes"] = .int(junkCloseAfter)
            report["junk_client_sent_bytes"] = .int(junkSent)
            report["rss_before_mb"] = .double(Double(rssBefore) / 1_048_576)
            report["rss_delta_mb"] = .double(Double(rssDelta) / 1_048_576)
            report["missing_cr_acks"] = .int(missingCRAcks.count)
            report["still_serving"] = .bool(good.isAccept)
            let frameCutNearLimit = closeAfterBytes > maxFrame && closeAfterBytes <= maxFrame + (1 << 20)
            let junkCut = junkCloseAfter > 1024 && junkCloseAfter <= 1024 + (1 << 20)
            report.pass = oversizedClosed && frameCutNearLimit && sent < total && rssDelta < rssBound && junkClosed && junkCut
                && missingCRAcks == ["T13-NOCR", "T13-AFTER-NOCR"] && good.isAccept && daemon.isRunning
            report.emit()

            #expect(oversizedClosed, "the endless frame's connection was not closed")
            #expect(frameCutNearLimit, "closed after \(closeAfterBytes) buffered bytes: \(frameLine)")
            #expect(sent < total, "the daemon took all 64 MiB")
            #expect(rssDelta < rssBound, "RSS grew \(rssDelta) bytes (bound \(rssBound))")
            #expect(junkClosed, "the junk connection was not closed")
            #expect(junkCut, "junk cut after \(junkCloseAfter) bytes: \(junkLine)")
            #expect(missingCRAcks == ["T13-NOCR", "T13-AFTER-NOCR"])
            #expect(good.isAccept)
            #expect(daemon.terminate() == 0)
        }

        @Test("T11 (quick): 20 connections trickling 1 byte/s are closed by a 2 s frame deadline; a 1 msg/s client is answered throughout; fds stay bounded")
        func t11Slowloris() throws {
            let daemon = try Fixture.startDaemon(["--frame-timeout", "2", "--idle-timeout", "3"])
            defer { daemon.cleanUp() }
            let port = daemon.port
            let slowCount = 20
            let stop = StopSignal()

            // Peak descriptors of the daemon, sampled every 50 ms.
            let sampler = BackgroundThread { () -> Int in
                var peak = 0
                while !stop.isRaised {
                    peak = max(peak, daemon.openFileDescriptors().count)
                    sleepSeconds(0.05)
                }
                return peak
            }
            // The slow senders, each from its own loopback address (the per-address cap is 8):
            // 0x0B, then one byte a second. Returns seconds from 0x0B to the close, per connection.
            let slow = BackgroundThread { () -> [Double?] in
                var fds: [Int32] = []
                var started: [Double] = []
                for i in 0..<slowCount {
                    guard let fd = try? LoopbackMLLPConnection.connectSocket(port: port, bindAddress: "127.0.1.\(i + 1)", timeout: 5) else {
                        fds.append(-1); started.append(0); continue
                    }
                    _ = LoopbackMLLPConnection.send(fd: fd, [0x0B])
                    fds.append(fd)
                    started.append(monotonicSeconds())
                }
                var closedAfter = [Double?](repeating: nil, count: slowCount)
                let end = monotonicSeconds() + 12
                var nextByte = monotonicSeconds() + 1
                while monotonicSeconds() < end, closedAfter.enumerated().contains(where: { $0.element == nil && fds[$0.offset] >= 0 }) {
                    for i in 0..<slowCount where fds[i] >= 0 && closedAfter[i] == nil {
                        if LoopbackMLLPConnection.peerHasClosed(fd: fds[i]) { closedAfter[i] = monotonicSeconds() - started[i] }
                    }
                    if monotonicSeconds() >= nextByte {
                        for i in 0..<slowCount where fds[i] >= 0 && closedAfter[i] == nil {
                            _ = LoopbackMLLPConnection.send(fd: fds[i], [UInt8(ascii: "A")])
                        }
                        nextByte += 1
                    }
                    sleepSeconds(0.02)
                }
                fds.filter { $0 >= 0 }.forEach { close($0) }
                return closedAfter
            }
            // A connection that says nothing: closed by the idle timeout.
            let idle = try LoopbackMLLPConnection(port: port, bindAddress: "127.0.2.1", timeout: 5)
            defer { idle.close() }

            // The legitimate client: one message a second for 7 s, from 127.0.0.2.
            let legit = try LoopbackMLLPConnection(port: port, bindAddress: "127.0.0.2", timeout: 10)
            defer { legit.close() }
            var latencies: [Double] = []
            var answered = 0
            let messages = 7
            for i in 0..<messages {
                let begin = monotonicSeconds()
                try legit.sendFrame(try Fixture.adtA01(controlID: "T11-LEGIT-\(i)"))
                if let frame = try legit.readFrame(timeout: 10), let ack = AckSummary(frame), ack.isAccept,
                   ack.acknowledgedControlID == "T11-LEGIT-\(i)" {
                    answered += 1
                    latencies.append((monotonicSeconds() - begin) * 1000)
                }
                sleepSeconds(1 - (monotonicSeconds() - begin))
            }
            let closedAfter = slow.join()
            let idleClosed = idle.isClosedByPeer(within: 5)
            stop.raise()
            let peakFDs = sampler.join()
            let closedByDeadline = closedAfter.compactMap { $0 }.count
            let deadlineLogs = daemon.errorLines(containing: "mllp frame not complete in time").count
            let idleLogs = daemon.errorLines(containing: "mllp connection idle").count
            let fdBound = Self.connectionCap + 16

            var report = FaultReport("T11")
            report["slow_connections"] = .int(slowCount)
            report["closed_by_deadline"] = .int(closedByDeadline)
            report["deadline_log_lines"] = .int(deadlineLogs)
            report["frame_timeout_s"] = .int(2)
            report["max_close_s"] = .double(closedAfter.compactMap { $0 }.max() ?? -1)
            report["legit_sent"] = .int(messages)
            report["legit_answered"] = .int(answered)
            report["legit_p50_ms"] = .double(FaultReport.percentile(latencies, 50))
            report["legit_p99_ms"] = .double(FaultReport.percentile(latencies, 99))
            report["idle_closed"] = .bool(idleClosed)
            report["peak_fds"] = .int(peakFDs)
            report["peak_rss_mb"] = .double(Double(daemon.peakResidentBytes ?? 0) / 1_048_576)
            report.pass = closedByDeadline == slowCount && deadlineLogs >= slowCount && answered == messages
                && idleClosed && peakFDs <= fdBound && daemon.isRunning
            report.emit()

            #expect(closedByDeadline == slowCount, "slow connections closed: \(closedAfter)")
            #expect(deadlineLogs >= slowCount, "closes logged as frame deadline: \(deadlineLogs)")
            #expect(answered == messages, "legit client answered \(answered)/\(messages)")
            #expect(idleClosed && idleLogs >= 1, "the silent connection was not closed by the idle timeout")
            #expect(peakFDs <= fdBound, "daemon fds peaked at \(peakFDs)")
            #expect(daemon.terminate() == 0)
        }

        @Test("T12 (quick): ~3 s connection flood from 127.0.0.1 held open; open connections never exceed the cap; a client on 127.0.0.2 is served")
        func t12ConnectionFlood() throws {
            let daemon = try Fixture.startDaemon()
            defer { daemon.cleanUp() }
            let port = daemon.port
            let stop = StopSignal()
            let duration = 3.0
            let listeners = daemon.openSocketCount()  // before any connection: the listener(s)

            // Open connections = sockets the daemon holds in two samples 20 ms apart. A refused
            // connection is accepted and closed at once; counting every socket fd would count
            // those transients (tens at 2,000+ connects/s) as "open".
            let sampler = BackgroundThread { () -> Int in
                var peak = 0
                var previous = Set(daemon.openFileDescriptors().filter { $0.hasPrefix("socket:") })
                while !stop.isRaised {
                    sleepSeconds(0.02)
                    let current = Set(daemon.openFileDescriptors().filter { $0.hasPrefix("socket:") })
                    peak = max(peak, current.intersection(previous).count - listeners)
                    previous = current
                }
                return peak
            }
            // Connect as fast as one thread can; keep every connection the server keeps.
            let flood = BackgroundThread { () -> (attempts: Int, failed: Int, refused: Int, held: Int) in
                var held: [Int32] = []
                var attempts = 0, failed = 0, refused = 0
                func sweep() {
                    held.removeAll { fd in
                        guard LoopbackMLLPConnection.peerHasClosed(fd: fd) else { return false }
                        refused += 1
                        close(fd)
                        return true
                    }
                }
                let end = monotonicSeconds() + duration
                while monotonicSeconds() < end {
                    attempts += 1
                    // A short connect timeout: when the accept queue is full the SYN is dropped
                    // and retried after a second; the flood moves on instead of waiting.
                    if let fd = try? LoopbackMLLPConnection.connectSocket(port: port, timeout: 0.05) {
                        held.append(fd)
                    } else {
                        failed += 1
                    }
                    if attempts % 8 == 0 { sweep() }
                }
                sleepSeconds(0.5)
                sweep()
                let stillHeld = held.count
                held.forEach { close($0) }
                return (attempts, failed, refused, stillHeld)
            }
            // The legitimate client from another address, during the flood.
            sleepSeconds(0.5)
            var latencies: [Double] = []
            var answered = 0
            let messages = 20
            var legitError: String?
            do {
                let legit = try LoopbackMLLPConnection(port: port, bindAddress: "127.0.0.2", timeout: 10)
                defer { legit.close() }
                for i in 0..<messages {
                    let begin = monotonicSeconds()
                    try legit.sendFrame(try Fixture.adtA01(controlID: "T12-LEGIT-\(i)"))
                    if let frame = try legit.readFrame(timeout: 10), let ack = AckSummary(frame), ack.isAccept {
                        answered += 1
                        latencies.append((monotonicSeconds() - begin) * 1000)
                    }
                    sleepSeconds(0.1 - (monotonicSeconds() - begin))
                }
            } catch {
                legitError = "\(error)"
            }
            let result = flood.join()
            stop.raise()
            let peakConnections = sampler.join()
            // Refusals are logged at most once per second, each line counting the refusals since
            // the previous one.
            let refusedLogged = daemon.errorLines(containing: "mllp connection refused").reduce(0) { total, line in
                total + (line.split(separator: " ").first { $0.hasPrefix("mllp.refused_since_last_line=") }
                    .flatMap { Int($0.split(separator: "=")[1]) } ?? 1)
            }
            let after = try Fixture.ack(try Fixture.adtA01(controlID: "T12-AFTER"), port: daemon.port)

            var report = FaultReport("T12")
            report["seconds"] = .double(duration)
            report["attempts"] = .int(result.attempts)
            report["attempts_per_s"] = .double(Double(result.attempts) / duration)
            report["connect_failed"] = .int(result.failed)
            report["refused"] = .int(result.refused)
            report["refused_logged"] = .int(refusedLogged)
            report["held_open_at_end"] = .int(result.held)
            report["peak_conns"] = .int(peakConnections)
            report["legit_answered"] = .int(answered)
            report["legit_p50_ms"] = .double(FaultReport.percentile(latencies, 50))
            report["legit_p99_ms"] = .double(FaultReport.percentile(latencies, 99))
            report["peak_rss_mb"] = .double(Double(daemon.peakResidentBytes ?? 0) / 1_048_576)
            report.pass = daemon.isRunning && peakConnections <= Self.connectionCap && answered == messages
                && result.refused > 0 && result.held <= Self.perAddressCap && after.isAccept
            report.emit()

            #expect(daemon.isRunning, "daemon died: \(Fixture.crashReport(daemon))")
            #expect(peakConnections <= Self.connectionCap)
            #expect(result.held <= Self.perAddressCap, "more than \(Self.perAddressCap) connections from 127.0.0.1 kept open")
            #expect(result.refused > 0, "no connection was refused")
            #expect(answered == messages, "legit client answered \(answered)/\(messages) \(legitError ?? "")")
            #expect(after.isAccept)
            #expect(daemon.terminate() == 0)
        }

        @Test("serve refuses a non-positive --frame-timeout or --idle-timeout (exit 2, naming the flag)",
              arguments: [["--frame-timeout", "0"], ["--idle-timeout", "-1"]])
        func timeoutFlagsAreValidated(_ arguments: [String]) throws {
            do {
                let daemon = try Fixture.startDaemon(arguments)
                defer { daemon.cleanUp() }
                Issue.record("serve started with \(arguments)")
            } catch let error as DaemonProcess.ExitedBeforeListening {
                #expect(error.status == 2)
                #expect(error.errorOutput.contains(arguments[0]), "\(error.errorOutput)")
            }
        }

        /// The integer just before `marker` in `line` (e.g. "(1110122 so far").
        static func number(before marker: String, in line: String) -> Int? {
            guard let range = line.firstRange(of: marker) else { return nil }
            let digits = line[..<range.lowerBound].reversed().prefix { $0.isNumber }
            return Int(String(digits.reversed()))
        }
    }
}
