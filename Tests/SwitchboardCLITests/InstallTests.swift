// scripts/install.sh staged into a temporary --destdir with the switchboard executable built
// next to the tests: the files and their modes, a modified config kept on reinstall, and the
// installed unit checked by systemd-analyze (verify clean, security exposure <= 2.0).
import Foundation
import Glibc
import SwitchboardTestSupport
import Testing

@Suite("scripts/install.sh")
struct InstallTests {
    static let root = SharedConformance.repositoryRoot(testFile: #filePath)

    /// `systemd-analyze` on PATH, if installed.
    static var systemdAnalyze: String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/systemd-analyze"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs `scripts/install.sh --binary <built switchboard> --destdir DESTDIR`.
    static func install(into destdir: String) throws -> CommandResult {
        let binary = try #require(CommandRunner.switchboardPath, "switchboard executable not built next to the tests")
        return CommandRunner.run("/bin/bash", [root + "/scripts/install.sh", "--binary", binary, "--destdir", destdir])
    }

    /// The permission bits of `path`, nil when it does not exist.
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    @Test func installsEveryFileWithItsModeAndKeepsAModifiedConfig() throws {
        let work = try TemporaryDirectory.make(prefix: "switchboard-install")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let destdir = work + "/root"
        let first = try Self.install(into: destdir)
        #expect(first.status == 0, "\(first.output)\(first.errorOutput)")

        let expected: [(path: String, mode: mode_t)] = [
            ("/usr/bin/switchboard", 0o755),
            ("/usr/lib/systemd/system/switchboard.service", 0o644),
            ("/usr/lib/sysusers.d/switchboard.conf", 0o644),
            ("/usr/lib/tmpfiles.d/switchboard.conf", 0o644),
            ("/usr/share/doc/switchboard/OPERATIONS.md", 0o644),
            ("/etc/switchboard", 0o750),
            ("/etc/switchboard/switchboard.yaml", 0o640),
        ]
        for file in expected {
            #expect(Self.mode(destdir + file.path) == file.mode, "\(file.path)")
        }
        let config = destdir + "/etc/switchboard/switchboard.yaml"
        #expect(Self.mode(config + ".new") == nil)

        // A reinstall keeps the operator's config and puts the shipped default beside it.
        let edited = try String(contentsOfFile: config, encoding: .utf8) + "# edited by the operator\n"
        try edited.write(toFile: config, atomically: false, encoding: .utf8)
        let second = try Self.install(into: destdir)
        #expect(second.status == 0, "\(second.output)\(second.errorOutput)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == edited)
        #expect(Self.mode(config + ".new") == 0o640)
        #expect(second.output.contains("switchboard.yaml.new"))
        let shipped = try String(contentsOfFile: Self.root + "/config/switchboard.yaml", encoding: .utf8)
        #expect(try String(contentsOfFile: config + ".new", encoding: .utf8) == shipped)
    }

    @Test(.enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed"))
    func installedUnitVerifiesCleanAndIsHardened() throws {
        let analyze = try #require(Self.systemdAnalyze)
        let work = try TemporaryDirectory.make(prefix: "switchboard-install")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let destdir = work + "/root"
        let installed = try Self.install(into: destdir)
        #expect(installed.status == 0, "\(installed.output)\(installed.errorOutput)")
        let unit = destdir + "/usr/lib/systemd/system/switchboard.service"

        // verify checks that ExecStart='s program exists on this machine, so it gets a copy of the
        // unit pointing at the staged binary (as install.sh does). It exits 0 even on warnings
        // such as unknown keys: clean means no output at all.
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        #expect(text.contains("ExecStart=/usr/bin/switchboard serve "))
        let copy = work + "/switchboard.service"
        try text.replacingOccurrences(of: "ExecStart=/usr/bin/switchboard ", with: "ExecStart=\(destdir)/usr/bin/switchboard ")
            .write(toFile: copy, atomically: false, encoding: .utf8)
        // Whatever the test runner's umask: systemd warns about a world-writable unit.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: copy)
        let verify = CommandRunner.run(analyze, ["verify", copy])
        #expect(verify.status == 0)
        #expect(verify.output + verify.errorOutput == "")

        // "→ Overall exposure level for switchboard.service: 1.1 OK 🙂"
        let security = CommandRunner.run(analyze, ["security", "--offline=true", unit])
        #expect(security.status == 0, "\(security.errorOutput)")
        let line = try #require(security.output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let figure = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(figure <= 2.0, "\(line)")
    }
}
