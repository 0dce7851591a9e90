// TESTPLAN T17 (no PHI in logs) and T18 (files at rest, core dumps, refusing a loose state
// directory) through the real daemon.
import SwitchboardTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonTests {
    @Suite("security (TESTPLAN T17, T18)")
    struct Security {
        @Test("T17: canary patient values sent through the accepted, rejected and unparseable paths never reach the log")
        func t17NoPHIInLogs() throws {
            let daemon = try Fixture.startDaemon()
            defer { daemon.cleanUp() }
            func canary(_ controlID: String) throws -> [UInt8] {
                let message = try Fixture.adtA01(controlID: controlID)
                let edited = message.replacing(Array("MRN100001".utf8), with: Array("999CANARY".utf8))
                    .replacing(Array("SYNTHETIC^ALEX".utf8), with: Array("ZZCANARY^PHI".utf8))
                try #require(edited.firstRange(of: Array("999CANARY".utf8)) != nil && edited.firstRange(of: Array("ZZCANARY^PHI".utf8)) != nil)
                return edited
            }
            func edit(_ bytes: [UInt8], _ old: String, _ new: String) throws -> [UInt8] {
                let edited = bytes.replacing(Array(old.utf8), with: Array(new.utf8))
                try #require(edited != bytes, "edit \(old) did not apply")
                return edited
            }
            let accepted = try canary("T17-ACCEPT")
            let xml = Fixture.run(["convert", "--to", "xml", "-"], input: try canary("T17-XML"))
            try #require(xml.status == 0)
            // (path, payload, MSA-1 values that show the path was taken, ERR code)
            let cases: [(String, [UInt8], Set<String>, String?)] = [
                ("accepted", accepted, ["AA", "CA"], nil),
                ("duplicate", accepted, ["AA", "CA"], nil),
                ("conflict-205", try edit(accepted, "DG1|1||I50.9", "DG1|1||I50.1"), ["AE", "CE"], "205"),
                ("unsupported-version", try edit(try canary("T17-VERSION"), "|P|2.5.1|", "|P|9.9|"), ["AR", "CR"], "203"),
                ("required-field", try edit(try canary("T17-REQUIRED"), "|F|||100 EXAMPLE", "||||100 EXAMPLE")
                    .replacing(Array("|1||999CANARY^^^GHH&2.16.840.1.113883.3.999&ISO^MR~900000001^^^SSA^SS||".utf8), with: Array("|1||||".utf8)),
                 ["AE", "CE"], "101"),
                ("unparseable-msh2", try edit(try canary("T17-MSH2"), "MSH|^~\\&|", "MSH|^^\\&|"), ["AR", "CR"], "102"),
                ("not-hl7", Array("ZZCANARY^PHI 999CANARY this is no HL7 header\r".utf8), ["AR"], "100"),
                ("xml-accepted", xml.stdout, ["AA", "CA"], nil),
            ]
            var paths: [String] = []
            for (name, payload, codes, error) in cases {
                let ack = try Fixture.ack(payload, port: daemon.port)
                #expect(codes.contains(ack.code), "\(name): \(ack)")
                if let error { #expect(ack.errorCodes.contains(error), "\(name): \(ack)") }
                if codes.contains(ack.code) { paths.append(name) }
            }
            // An ACK carrying a canary is not answered, but it is logged.
            let connection = try LoopbackMLLPConnection(port: daemon.port, timeout: 10)
            try connection.sendFrame(Array("MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|SWITCHBOARD|CARE COORD|20261129083000-0500||ACK^A01^ACK|T17-ACK|P|2.5.1\rMSA|AA|SB-1|ZZCANARY^PHI 999CANARY\r".utf8))
            try connection.sendFrame(try canary("T17-AFTER-ACK"))
            #expect(try connection.readFrame(timeout: 10).flatMap(AckSummary.init)?.acknowledgedControlID == "T17-AFTER-ACK")
            connection.close()
            #expect(daemon.terminate() == 0)

            let lines = daemon.errorLines + daemon.standardOutput.split(separator: "\n").map(String.init)
            let hits = lines.filter { $0.contains("CANARY") }
            var report = FaultReport("T17")
            report["paths"] = .strings(paths)
            report["lines_scanned"] = .int(lines.count)
            report["canary_hits"] = .int(hits.count)
            report.pass = hits.isEmpty && paths.count == cases.count
            report.emit()
            #expect(hits.isEmpty, "patient data in the log: \(hits.prefix(3))")
            #expect(lines.count >= cases.count, "the messages were logged (one line each)")
        }

        @Test("T18: under umask 000 files are 0600 and directories 0700; RLIMIT_CORE is 0; a 0755 state directory is refused")
        func t18Permissions() throws {
            let daemon = try Fixture.startDaemon(umask: "000")
            defer { daemon.cleanUp() }
            #expect(try Fixture.ack(try Fixture.adtA01(controlID: "T18-1"), port: daemon.port).isAccept)

            var stateInfo = stat()
            try #require(stat(daemon.stateDirectory, &stateInfo) == 0)
            let entries = [(daemon.stateDirectory, stateInfo.st_mode)] + TemporaryDirectory.walk(daemon.stateDirectory)
            var badModes: [String] = []
            for (path, mode) in entries {
                let isDirectory = mode & S_IFMT == S_IFDIR
                let permissions = mode & 0o7777
                if permissions != (isDirectory ? 0o700 : 0o600) { badModes.append("\(path)=\(String(permissions, radix: 8))") }
            }
            let limits = daemon.limits ?? ""
            let coreLine = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }.map(String.init) ?? ""
            let coreFields = coreLine.dropFirst("Max core file size".count).split(separator: " ")
            let coreIsZero = coreFields.count >= 2 && coreFields[0] == "0" && coreFields[1] == "0"
            #expect(daemon.terminate() == 0)

            // Loosen the state directory: start-up must refuse it and say which directory.
            try #require(chmod(daemon.stateDirectory, 0o755) == 0)
            var refused = false
            var refusal = ""
            do {
                try daemon.restart()
                Issue.record("the daemon started on a 0755 state directory")
                daemon.terminate()
            } catch let error as DaemonProcess.ExitedBeforeListening {
                refused = error.status != 0
                refusal = error.errorOutput
                #expect(error.status != 0)
                #expect(error.errorOutput.contains(daemon.stateDirectory), "refusal does not name the directory: \(error.errorOutput)")
            }
            // Control: tightened again, it starts (the refusal was about the mode).
            try #require(chmod(daemon.stateDirectory, 0o700) == 0)
            try daemon.restart()
            #expect(daemon.terminate() == 0)

            var report = FaultReport("T18")
            report["files_checked"] = .int(entries.count)
            report["bad_modes"] = .int(badModes.count)
            report["bad_mode_paths"] = .strings(badModes)
            report["core_limit"] = .string(coreLine.split(separator: " ").suffix(3).joined(separator: " "))
            report["refused"] = .bool(refused)
            report.pass = badModes.isEmpty && coreIsZero && refused && refusal.contains(daemon.stateDirectory)
            report.emit()
            #expect(entries.count >= 4, "state dir, journal dir, lock and segment expected: \(entries.map(\.0))")
            #expect(badModes.isEmpty, "\(badModes)")
            #expect(coreIsZero, "core dumps not disabled: \(coreLine)")
        }
    }
}
