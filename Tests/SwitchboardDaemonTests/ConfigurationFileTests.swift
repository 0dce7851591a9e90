// `serve --config FILE`: the YAML file over the defaults, bad values named by key.
import Caseload
import CaseloadStore
import Foundation
import Integration
import Logging
import MLLP
import Outbox
import SwitchboardDaemon
import Testing

@Suite("configuration file")
struct ConfigurationFileTests {
    private func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "switchboard-config-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theAnnotatedDefaultFileGivesTheBuiltInDefaults() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        var fromFile = DaemonConfiguration()
        try await ConfigurationFile.apply(root + "/config/switchboard.yaml", to: &fromFile)
        let defaults = DaemonConfiguration()
        #expect(fromFile.stateDirectory == defaults.stateDirectory)
        #expect(fromFile.mllp.host == defaults.mllp.host && fromFile.mllp.port == defaults.mllp.port)
        #expect(fromFile.mllp.framing == defaults.mllp.framing)
        #expect(fromFile.mllp.frameTimeoutSeconds == defaults.mllp.frameTimeoutSeconds)
        #expect(fromFile.mllp.idleTimeoutSeconds == defaults.mllp.idleTimeoutSeconds)
        #expect(fromFile.mllp.maxConnections == defaults.mllp.maxConnections)
        #expect(fromFile.mllp.maxConnectionsPerAddress == defaults.mllp.maxConnectionsPerAddress)
        #expect(fromFile.mllp.maxPendingFramesPerConnection == defaults.mllp.maxPendingFramesPerConnection)
        #expect(fromFile.mllp.backlog == defaults.mllp.backlog)
        #expect(fromFile.mllp.drainTimeoutSeconds == defaults.mllp.drainTimeoutSeconds)
        #expect(fromFile.mllpTLS == nil)
        #expect(fromFile.inbound.acceptedProcessingIDs == defaults.inbound.acceptedProcessingIDs)
        #expect(fromFile.inbound.quarantineMaxBytes == defaults.inbound.quarantineMaxBytes)
        #expect(fromFile.inbound.maxInFlight == defaults.inbound.maxInFlight)
        #expect(fromFile.duplicates == defaults.duplicates)
        #expect(fromFile.journalSegmentSize == defaults.journalSegmentSize)
        #expect(fromFile.logLevel == defaults.logLevel)
        #expect(fromFile.logsPHI == defaults.logsPHI)
        #expect(fromFile.adminAddress == defaults.adminAddress)
        #expect(fromFile.caseloadRules == defaults.caseloadRules)
    }

    @Test func valuesInTheFileAreApplied() async throws {
        let path = try write("""
            state:
              directory: /var/lib/switchboard
            mllp:
              listen: 0.0.0.0:3575
              max_frame_bytes: 2097152
              max_connections_per_address: 2
            tls:
              listen: 0.0.0.0:3576
              certificate: /etc/sb/server.pem
              private_key: /etc/sb/server.key
              ca: /etc/sb/ca.pem
            inbound:
              processing_ids: [P]
            duplicates:
              retention_seconds: 3600
            log:
              level: notice
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = DaemonConfiguration()
        try await ConfigurationFile.apply(path, to: &configuration)
        #expect(configuration.stateDirectory == "/var/lib/switchboard")
        #expect(configuration.mllp.host == "0.0.0.0" && configuration.mllp.port == 3575)
        #expect(configuration.maxFrameBytes == 2_097_152)
        #expect(configuration.mllp.maxConnectionsPerAddress == 2)
        #expect(configuration.mllpTLS?.listener.port == 3576)
        #expect(configuration.mllpTLS?.listener.framing.maxFrameBytes == 2_097_152)
        #expect(configuration.mllpTLS?.tls.trustedCAPath == "/etc/sb/ca.pem")
        #expect(configuration.inbound.acceptedProcessingIDs == ["P"])
        #expect(configuration.duplicates.retentionSeconds == 3600)
        #expect(configuration.logLevel == .notice)
    }

    @Test(arguments: [
        ("mllp:\n  max_connections: lots\n", "mllp.max_connections"),
        ("mllp:\n  listen: nowhere\n", "mllp.listen"),
        ("mllp:\n  max_frame_bytes: -1\n", "mllp.max_frame_bytes"),
        ("log:\n  level: loud\n", "log.level"),
        ("inbound:\n  processing_ids: [P, X]\n", "inbound.processing_ids"),
        ("tls:\n  listen: 0.0.0.0:2576\n", "tls.listen"),
        ("tls:\n  ca: /etc/ca.pem\n", "tls.ca"),
    ])
    func aBadValueIsRefusedWithItsKey(yaml: String, key: String) async throws {
        let path = try write(yaml)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = DaemonConfiguration()
        do {
            try await ConfigurationFile.apply(path, to: &configuration)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.key == key)
            #expect(error.line != nil)
            #expect(error.description.hasPrefix("\(path):\(error.line ?? 0): \(key): "))
        }
    }

    @Test func aMissingOrBrokenFileNamesTheFile() async throws {
        var configuration = DaemonConfiguration()
        await #expect(throws: ConfigurationFileError.self) {
            try await ConfigurationFile.apply("/nonexistent/switchboard.yaml", to: &configuration)
        }
        let path = try write("mllp: [unclosed\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            try await ConfigurationFile.apply(path, to: &configuration)
            Issue.record("a broken file was accepted")
        } catch {
            #expect(error.file == path)
        }
    }

    @Test func aBadValueIsReportedWithItsLine() async throws {
        let path = try write("""
            # comment
            state:
              directory: /tmp/x   # trailing comment
            mllp:
              listen: 127.0.0.1:2575

              max_connections: lots
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = DaemonConfiguration()
        do {
            try await ConfigurationFile.apply(path, to: &configuration)
            Issue.record("accepted a bad value")
        } catch {
            #expect(error.description == "\(path):7: mllp.max_connections: expected an integer in 1...100000, got 'lots'")
        }
    }

    @Test func anUnknownKeyIsRefusedWithItsLine() async throws {
        let path = try write("mllp:\n  listen: 127.0.0.1:2575\n  max_conections: 8\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = DaemonConfiguration()
        do {
            try await ConfigurationFile.apply(path, to: &configuration)
            Issue.record("accepted a misspelt key")
        } catch {
            #expect(error.key == "mllp.max_conections")
            #expect(error.line == 3)
            #expect(error.message.contains("unknown key"))
        }
    }

    @Test func destinationsAndReferralRulesAreRead() async throws {
        let path = try write("""
            destinations:
              home-health:
                address: 10.0.0.12:2575
                receiving_facility: HHA
                ack_timeout_ms: 5000
              hospice: {}
            rules:
              referrals:
                hospice:
                  dispositions: ["40", "41"]
                  reason: End of life care
            outbound:
              sending_facility: GHH
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = DaemonConfiguration()
        let warnings = try await ConfigurationFile.load(file: path, environment: [:], into: &configuration)
        #expect(warnings.isEmpty)
        #expect(configuration.destinations["home-health"]?.address == HostAndPort(host: "10.0.0.12", port: 2575))
        #expect(configuration.destinations["home-health"]?.policy.ackTimeoutMilliseconds == 5000)
        #expect(configuration.destinations["hospice"] != nil && configuration.destinations["hospice"]?.address == nil)
        #expect(configuration.outbound.addressing(of: "home-health").receivingFacility == "HHA")
        #expect(configuration.outbound.sendingFacility == "GHH")
        #expect(configuration.caseloadRules.referralRules == [ReferralRule(dispositions: ["40", "41"], destination: "hospice", reason: "End of life care")])
        let off = try write("rules:\n  referrals: off\n")
        defer { try? FileManager.default.removeItem(atPath: off) }
        var none = DaemonConfiguration()
        try await ConfigurationFile.load(file: off, environment: [:], into: &none)
        #expect(none.caseloadRules.referralRules.isEmpty)
    }

    @Test func environmentVariablesOverrideTheFile() async throws {
        let path = try write("mllp:\n  listen: 127.0.0.1:2575\n  max_frame_bytes: 1000\nlog:\n  level: info\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = DaemonConfiguration()
        try await ConfigurationFile.load(file: path, environment: [
            "SWITCHBOARD_MLLP_LISTEN": "0.0.0.0:3575",
            "SWITCHBOARD_LOG_LEVEL": "debug",
            "SWITCHBOARD_LOG_PHI": "true",
            "SWITCHBOARD_ADMIN_LISTEN": "off",
            "SWITCHBOARD_INBOUND_PROCESSING_IDS": "P,T",
            "PATH": "/usr/bin",
        ], into: &configuration)
        #expect(configuration.mllp.host == "0.0.0.0" && configuration.mllp.port == 3575)
        #expect(configuration.maxFrameBytes == 1000)  // from the file
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logsPHI)
        #expect(configuration.adminAddress == nil)
        #expect(configuration.inbound.acceptedProcessingIDs == ["P", "T"])
    }

    @Test func environmentAloneWorksWithoutAFile() async throws {
        var configuration = DaemonConfiguration()
        try await ConfigurationFile.load(file: nil, environment: ["SWITCHBOARD_MLLP_MAX_CONNECTIONS": "5"], into: &configuration)
        #expect(configuration.mllp.maxConnections == 5)
    }

    @Test func aBadEnvironmentValueNamesTheVariable() async throws {
        var configuration = DaemonConfiguration()
        do {
            try await ConfigurationFile.load(file: nil, environment: ["SWITCHBOARD_MLLP_MAX_CONNECTIONS": "lots"], into: &configuration)
            Issue.record("accepted a bad environment value")
        } catch {
            #expect(error.variable == "SWITCHBOARD_MLLP_MAX_CONNECTIONS")
            #expect(error.description.hasPrefix("environment SWITCHBOARD_MLLP_MAX_CONNECTIONS: mllp.max_connections: expected an integer"))
        }
    }

    @Test func environmentVariableNamesFollowTheKeys() {
        #expect(ConfigurationFile.environmentVariable(for: "mllp.max_frame_bytes") == "SWITCHBOARD_MLLP_MAX_FRAME_BYTES")
        #expect(ConfigurationFile.environmentVariable(for: "log.phi") == "SWITCHBOARD_LOG_PHI")
    }

    @Test func settingsThatNeedARestartAreNamedByKey() {
        var before = DaemonConfiguration()
        before.logLevel = .info
        var after = before
        after.logLevel = .debug
        after.mllp.maxConnections = 3
        after.adminAddress = nil
        let changed = after.restartOnlySettings.keys.filter { before.restartOnlySettings[$0] != after.restartOnlySettings[$0] }.sorted()
        #expect(changed == ["admin.listen", "mllp.max_connections"])
    }

    @Test func rulesTeamsAndCoordinatorsAreRead() async throws {
        let path = try write("""
            rules:
              case_opening:
                patient_classes: [I, O]
                units: [4WEST]
              tasks:
                post_discharge_contact_business_days: 3
              calendar:
                holidays: [2026-12-25, 2027-01-01]
                utc_offset_minutes: -300
              teams:
                medicine: [4WEST, 5EAST]
                float: []
              coordinators:
                coord-a:
                  name: Avery
                  team: medicine
                  capacity: 25
                coord-f:
                  team: float
                  capacity: 5
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = DaemonConfiguration()
        try await ConfigurationFile.apply(path, to: &configuration)
        let rules = configuration.caseloadRules
        #expect(rules.caseOpeningClasses == ["I", "O"] && rules.caseOpeningUnits == ["4WEST"])
        #expect(rules.postDischargeContactBusinessDays == 3)
        #expect(rules.calendar.holidays == ["2026-12-25", "2027-01-01"] && rules.calendar.utcOffsetMinutes == -300)
        #expect(rules.teams.map(\.name) == ["medicine", "float"])
        #expect(rules.teams.first?.units == ["4WEST", "5EAST"])
        #expect(rules.coordinators.map(\.id) == ["coord-a", "coord-f"])
        #expect(rules.coordinators.first?.name == "Avery" && rules.coordinators.first?.capacity == 25)
        #expect(rules.coordinators.last?.name == "coord-f")
    }

    @Test func aCoordinatorOfAnUnknownTeamIsRefused() async throws {
        let path = try write("rules:\n  teams:\n    medicine: [4WEST]\n  coordinators:\n    coord-a:\n      team: surgery\n      capacity: 3\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = DaemonConfiguration()
        do {
            try await ConfigurationFile.apply(path, to: &configuration)
            Issue.record("accepted a coordinator of an unknown team")
        } catch {
            #expect(error.key == "rules.coordinators.coord-a.team")
            #expect(error.line == 6)
        }
    }
}
