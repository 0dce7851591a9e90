// The operations surface of the real daemon: systemd notify protocol against a fake
// NOTIFY_SOCKET, the admin endpoints during load, SIGHUP reload, journald priorities, log.phi.
import Foundation
import MLLP
import NIOCore
import SwitchboardDaemon
import SwitchboardTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonTests {
    @Suite("operations (systemd, admin HTTP, reload, logs)")
    struct Operations {
        @Test("notify protocol: READY once listening, WATCHDOG while healthy, RELOADING/READY on SIGHUP, STOPPING on SIGTERM, exit 0")
        func notifyProtocolInOrder() throws {
            let socket = try FakeNotifySocket()
            let daemon = try DaemonProcess.start(
                executable: Fixture.executable,
                environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"])
            defer { daemon.cleanUp() }

            let untilReady = socket.receive(until: { $0.contains("READY=1") }, timeout: 20)
            let ready = try #require(untilReady.last, "no READY=1; got \(untilReady)")
            #expect(ready.contains("READY=1"))
            #expect(ready.contains("STATUS=ready"))
            #expect(!untilReady.dropLast().contains { $0.contains("WATCHDOG=1") }, "WATCHDOG=1 before READY=1")
            // READY=1 comes after the listener is bound: the daemon answers by then.
            #expect(try Fixture.ack(try Fixture.adtA01(controlID: "NOTIFY-1"), port: daemon.port).isAccept)

            // Every 200 ms (half of WATCHDOG_USEC) while the journal writer answers.
            var pets = 0
            let petsDeadline = monotonicSeconds() + 10
            while pets < 3, monotonicSeconds() < petsDeadline {
                if let next = socket.receive(timeout: 2), next.contains("WATCHDOG=1") { pets += 1 }
            }
            #expect(pets == 3, "WATCHDOG=1 pings seen: \(pets)")

            daemon.signal(SIGHUP)
            let reload = socket.receive(until: { $0.contains("READY=1") }, timeout: 10)
            let reloading = reload.firstIndex { $0.contains("RELOADING=1") }
            let readyAgain = reload.lastIndex { $0.contains("READY=1") }
            #expect(reloading != nil && readyAgain != nil && reloading! < readyAgain!, "after SIGHUP: \(reload)")
            #expect(reload.first { $0.contains("RELOADING=1") }?.contains("MONOTONIC_USEC=") == true)

            daemon.signal(SIGTERM)
            let stopping = socket.receive(until: { $0.contains("STOPPING=1") }, timeout: 10)
            #expect(stopping.last?.contains("STOPPING=1") == true, "after SIGTERM: \(stopping)")
            #expect(daemon.waitForExit(timeout: 30) == 0)
            #expect(daemon.errorLines(containing: "msg=stopped").count == 1)
        }

        @Test("admin: /healthz and /readyz answer, /metrics shows live counters during a load test")
        func adminEndpointsDuringLoad() async throws {
            let daemon = try Fixture.startDaemon()
            defer { daemon.cleanUp() }
            let admin = try #require(daemon.waitForAdminPort(), "no admin listening line")

            let health = try LoopbackHTTP.get(port: admin, path: "/healthz")
            #expect(health.status == 200 && health.body == "ok\n")
            // /readyz turns 200 once the supervisor saw every listener bound.
            var ready = try LoopbackHTTP.get(port: admin, path: "/readyz")
            let readyDeadline = monotonicSeconds() + 10
            while ready.status != 200, monotonicSeconds() < readyDeadline {
                sleepSeconds(0.05)
                ready = try LoopbackHTTP.get(port: admin, path: "/readyz")
            }
            #expect(ready.status == 200 && ready.body == "ready\n")
            #expect(try LoopbackHTTP.get(port: admin, path: "/no-such-endpoint").status == 404)

            let messages = 3000
            let load = Task {
                try await LoadGenerator.run(LoadConfiguration(
                    endpoint: MLLPEndpoint(host: "127.0.0.1", port: daemon.port), connections: 2, window: 4, messages: messages, runID: "ops-metrics"))
            }
            // Scrape while the load runs: the counter moves between two scrapes.
            var samples: [Double] = []
            let series = "switchboard_messages_total{listener=\"mllp\",type=\"ADT^A01\",ack=\"AA\"}"
            let scrapeDeadline = monotonicSeconds() + 60
            while samples.count < 2, monotonicSeconds() < scrapeDeadline {
                let scrape = try LoopbackHTTP.get(port: admin, path: "/metrics")
                #expect(scrape.status == 200)
                if let value = prometheusValue(scrape.body, series), value > 0, value < Double(messages), samples.last != value {
                    samples.append(value)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let report = try await load.value
            #expect(report.acknowledged == messages)
            #expect(samples.count == 2 && samples[1] > samples[0], "counter did not move during the load: \(samples)")

            let metrics = try LoopbackHTTP.get(port: admin, path: "/metrics")
            #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = metrics.body
            #expect(prometheusValue(text, series) == Double(messages))
            #expect((prometheusValue(text, "switchboard_ack_latency_seconds_count") ?? 0) >= Double(messages))
            #expect((prometheusValue(text, "switchboard_journal_fsync_seconds_count") ?? 0) > 0)
            #expect((prometheusValue(text, "switchboard_journal_batch_records_sum") ?? 0) >= Double(messages))
            #expect((prometheusValue(text, "switchboard_journal_bytes_total") ?? 0) > 0)
            #expect(prometheusValue(text, "switchboard_journal_durable_sequence") == Double(messages))
            #expect(prometheusValue(text, "switchboard_journal_fail_stopped") == 0)
            #expect(prometheusValue(text, "mllp_connections_accepted_total{listener=\"mllp\"}") == 2)
            #expect(prometheusValue(text, "mllp_connections_open{listener=\"mllp\"}") != nil)

            // A resend and a quarantined frame show up in their counters.
            #expect(try Fixture.ack(try Fixture.adtA01(controlID: "METRICS-1"), port: daemon.port).isAccept)
            #expect(try Fixture.ack(try Fixture.adtA01(controlID: "METRICS-1"), port: daemon.port).isAccept)
            #expect(try Fixture.ack(Array("not hl7 at all\r".utf8), port: daemon.port).code == "AR")
            let after = try LoopbackHTTP.get(port: admin, path: "/metrics").body
            #expect(prometheusValue(after, "switchboard_duplicates_total") == 1)
            #expect(prometheusValue(after, "switchboard_quarantined_total") == 1)
            #expect(daemon.terminate() == 0)
        }

        @Test("SIGHUP: the log level changes at once, other changes are named as needing a restart, a broken file changes nothing")
        func reloadAppliesWhatItCanAndNamesTheRest() throws {
            let directory = try TemporaryDirectory.make(prefix: "reload")
            defer { TemporaryDirectory.remove(directory) }
            let config = directory + "/switchboard.yaml"
            try "log:\n  level: info\nmllp:\n  max_connections: 64\n".write(toFile: config, atomically: true, encoding: .utf8)
            let daemon = try Fixture.startDaemon(["--config", config])
            defer { daemon.cleanUp() }
            #expect(daemon.errorLines(containing: "mllp connection opened").isEmpty)

            try "log:\n  level: debug\nmllp:\n  max_connections: 32\nrules:\n  continuity_days: 30\n"
                .write(toFile: config, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            let reloaded = try #require(daemon.waitForErrorLine(containing: "configuration reloaded", timeout: 30))
            #expect(Fixture.logValue("applied", in: reloaded) == "log.level,rules")
            #expect(Fixture.logValue("needs_restart", in: reloaded) == "mllp.max_connections")
            #expect(try Fixture.ack(try Fixture.adtA01(controlID: "RELOAD-1"), port: daemon.port).isAccept)
            #expect(daemon.waitForErrorLine(containing: "mllp connection opened", timeout: 30) != nil, "debug lines after the reload")

            try "log:\n  level: loud\n".write(toFile: config, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            let failed = try #require(daemon.waitForErrorLine(containing: "configuration reload failed", timeout: 30))
            #expect(failed.contains("log.level"))
            #expect(try Fixture.ack(try Fixture.adtA01(controlID: "RELOAD-2"), port: daemon.port).isAccept)
            #expect(daemon.terminate() == 0)
        }

        @Test("SIGHUP reloads the TLS listener's CA: new connections are checked against the new one",
              .enabled(if: TestCertificates.opensslPath != nil, "openssl is not on PATH"))
        func reloadSwapsTheTLSContext() async throws {
            let pki = try TestCertificates.generate(openssl: TestCertificates.opensslPath!)
            defer { pki.remove() }
            let config = pki.directory + "/switchboard.yaml"
            func writeConfig(ca: String) throws {
                try """
                    tls:
                      listen: 127.0.0.1:0
                      certificate: \(pki.serverCertificate)
                      private_key: \(pki.serverKey)
                      ca: \(ca)
                    """.write(toFile: config, atomically: true, encoding: .utf8)
            }
            try writeConfig(ca: pki.caCertificate)
            let daemon = try Fixture.startDaemon(["--config", config])
            defer { daemon.cleanUp() }
            let line = try #require(daemon.waitForErrorLine(containing: "mllp.listener=mllp-tls", timeout: 30))
            let address = try #require(Fixture.logValue("mllp.address", in: line))
            let port = try #require(Int(address.split(separator: ":").last ?? ""))

            let trusted = MLLPClientTLSConfiguration(trustedCAPath: pki.caCertificate, certificateChainPath: pki.clientCertificate,
                                                     privateKeyPath: pki.clientKey, serverHostname: "localhost")
            let rogue = MLLPClientTLSConfiguration(trustedCAPath: pki.caCertificate, certificateChainPath: pki.rogueClientCertificate,
                                                   privateKeyPath: pki.rogueClientKey, serverHostname: "localhost")
            func accepted(_ tls: MLLPClientTLSConfiguration, _ controlID: String) async -> Bool {
                do {
                    let client = try await MLLPClient.connect(host: "127.0.0.1", port: port, tls: tls)
                    defer { Task { try? await client.close() } }
                    let answer = try await client.send(ByteBuffer(bytes: try Fixture.adtA01(controlID: controlID)), timeout: .seconds(10))
                    return AckSummary(Array(answer.readableBytesView))?.isAccept == true
                } catch {
                    return false
                }
            }
            #expect(await accepted(trusted, "TLS-RELOAD-1"))
            #expect(await !accepted(rogue, "TLS-RELOAD-2"))

            try writeConfig(ca: pki.rogueCACertificate)
            daemon.signal(SIGHUP)
            let reloaded = try #require(daemon.waitForErrorLine(containing: "configuration reloaded", timeout: 30))
            #expect(Fixture.logValue("applied", in: reloaded)?.contains("tls.certificates") == true)
            #expect(await accepted(rogue, "TLS-RELOAD-3"))
            #expect(await !accepted(trusted, "TLS-RELOAD-4"))
            #expect(daemon.terminate() == 0)
        }

        @Test("under journald (JOURNAL_STREAM is stderr) lines carry syslog priorities and no timestamp of their own")
        func journaldPriorities() throws {
            let daemon = try DaemonProcess.start(executable: Fixture.executable, stderrIsJournal: true)
            defer { daemon.cleanUp() }
            #expect(try Fixture.ack(try Fixture.adtA01(controlID: "JOURNALD-1"), port: daemon.port).isAccept)
            #expect(try Fixture.ack(Array("not hl7\r".utf8), port: daemon.port).code == "AR")
            #expect(daemon.terminate() == 0)
            let listening = try #require(daemon.errorLines(containing: "msg=\"mllp listening\"").first)
            #expect(listening.hasPrefix("<5>level=notice "))
            let accepted = try #require(daemon.errorLines(containing: "hl7.control_id=JOURNALD-1").first)
            #expect(accepted.hasPrefix("<6>level=info msg=message "))
            let rejected = try #require(daemon.errorLines(containing: "disposition=quarantined").first)
            #expect(rejected.hasPrefix("<5>level=notice "))
            let unprefixed = daemon.errorLines.filter { !$0.isEmpty && !$0.hasPrefix("<") }
            #expect(unprefixed.isEmpty, "lines without a priority: \(unprefixed.prefix(3))")
        }

        @Test("log.phi: true puts PID-3 in message lines and warns at start-up; off (the default) it never does")
        func phiOnlyWhenTurnedOn() throws {
            let message = try Fixture.adtA01(controlID: "PHI-1").replacing(Array("MRN100001".utf8), with: Array("999CANARY".utf8))
            try #require(message.firstRange(of: Array("999CANARY".utf8)) != nil)

            let quiet = try Fixture.startDaemon()
            defer { quiet.cleanUp() }
            #expect(try Fixture.ack(message, port: quiet.port).isAccept)
            #expect(quiet.terminate() == 0)
            #expect(quiet.errorLines(containing: "CANARY").isEmpty)
            #expect(quiet.errorLines(containing: "log.phi").isEmpty)

            let loud = try DaemonProcess.start(executable: Fixture.executable, environment: ["SWITCHBOARD_LOG_PHI": "true"])
            defer { loud.cleanUp() }
            #expect(try Fixture.ack(message, port: loud.port).isAccept)
            #expect(loud.terminate() == 0)
            #expect(loud.errorLines.contains { $0.contains("level=warning") && $0.contains("log.phi is on") })
            let line = try #require(loud.errorLines(containing: "hl7.control_id=PHI-1").first)
            #expect(Fixture.logValue("phi.patient_id", in: line)?.hasPrefix("999CANARY") == true)
        }

        @Test("an admin port in use stops start-up with a message naming the admin listener")
        func adminPortInUse() throws {
            let holder = try DaemonProcess.start(executable: Fixture.executable)
            defer { holder.cleanUp() }
            let taken = try #require(holder.waitForAdminPort())
            let second: DaemonProcess
            do {
                // The MLLP listener may bind before the admin one fails: then the exit follows.
                second = try DaemonProcess.start(executable: Fixture.executable, arguments: ["--admin", "127.0.0.1:\(taken)"],
                                                 startTimeout: 20)
            } catch let error as DaemonProcess.ExitedBeforeListening {
                #expect(error.status != 0)
                #expect(error.errorOutput.contains("admin listener 127.0.0.1:\(taken)"), "\(error.errorOutput)")
                #expect(holder.terminate() == 0)
                return
            }
            defer { second.cleanUp() }
            let status = second.waitForExit(timeout: 20)
            #expect(status != nil && status != 0)
            #expect(second.errorOutput.contains("admin listener 127.0.0.1:\(taken)"), "\(second.errorOutput)")
            #expect(holder.terminate() == 0)
        }
    }
}
