import ArgumentParser
import Glibc
import CaseloadStore
import HL7
import Journal
import SwitchboardDaemon

/// `switchboard journal export --state DIR`: the raw inbound messages as a replayable archive.
struct JournalExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the raw inbound messages of a state directory as an MLLP-framed or ER7 archive.",
        discussion: """
            Messages come out in journal order, byte for byte as received, ready for \
            `switchboard replay`. Records whose raw bytes were cut (quarantined frames keep only \
            their first 64 KiB) and copies answered as duplicates are left out, and so are \
            coordinators' actions (task completions: not messages); the counts go to standard error. The output holds patient data: treat it \
            like the journal.

            Examples:
              switchboard journal export --state /var/lib/switchboard > all.mllp
              switchboard journal export --state /var/lib/switchboard --disposition all --type 'ADT^A0*' --format er7 --output adt.hl7
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case mllp, er7
    }

    enum Disposition: String, ExpressibleByArgument, CaseIterable {
        case accepted, rejected, all
    }

    @OptionGroup var options: StateDirectoryOption

    @Option(help: "mllp: 0x0B message 0x1C 0x0D frames (any message); er7: messages separated by a newline (XML messages are left out).")
    var format: Format = .mllp

    @Option(help: "Which messages: accepted (default), rejected, or all that were kept whole.")
    var disposition: Disposition = .accepted

    @Option(help: ArgumentHelp("Only messages whose MSH-9 matches (`*` matches any text).", valueName: "PATTERN"))
    var type: String?

    @Option(help: "Start at this journal sequence.")
    var from: UInt64 = 1

    @Option(help: ArgumentHelp("Write here instead of standard output.", valueName: "FILE"))
    var output: String?

    func run() throws {
        let directory = JournalConfiguration(stateDirectory: options.state).directory
        var fd: Int32 = 1
        if let output {
            fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CLIError(file: output, "cannot create: \(String(cString: strerror(errno)))").report() }
        }
        defer { if fd != 1 { close(fd) } }
        var written = 0, skippedPartial = 0, skippedXML = 0, skippedActions = 0
        var buffer: [UInt8] = []
        let walk: JournalWalk
        do {
            walk = try JournalMaintenance.dumpPayloads(directory: directory, from: from) { _, _, payload in
                let bytes = Array(payload)
                if InboundRecordCodec.kind(of: bytes) == .action { skippedActions += 1 }
                guard InboundRecordCodec.kind(of: bytes) == .inbound, let record = try? InboundRecordCodec.decode(bytes) else { return }
                switch (disposition, record.disposition) {
                case (.all, .accepted), (.all, .rejected), (.all, .quarantined), (.accepted, .accepted), (.rejected, .rejected): break
                default: return
                }
                if let type, !TypePattern.matches(type, record.messageType) { return }
                guard record.raw.count == record.rawLength, !record.raw.isEmpty else {
                    skippedPartial += 1
                    return
                }
                switch format {
                case .mllp:
                    buffer.append(0x0B)
                    buffer += record.raw
                    buffer += [0x1C, 0x0D]
                case .er7:
                    guard record.encoding != .xml else {
                        skippedXML += 1
                        return
                    }
                    buffer += record.raw
                    buffer.append(0x0A)
                }
                written += 1
                if buffer.count >= 1 << 20 {
                    InputFile.write(fd: fd, buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        } catch {
            throw CLIError(journal: error, directory: directory).report()
        }
        InputFile.write(fd: fd, buffer)
        var stderr = StandardError()
        print("switchboard: exported \(written) messages"
              + (skippedPartial > 0 ? "; \(skippedPartial) kept only in part (quarantined) left out" : "")
              + (skippedXML > 0 ? "; \(skippedXML) XML messages left out of the ER7 archive (use --format mllp)" : "")
              + (skippedActions > 0 ? "; \(skippedActions) coordinator actions (task completions) are not messages and are not exported: "
                  + "a replay of this archive gives the caseload without them" : ""), to: &stderr)
        if let problem = walk.problem {
            throw CLIError(file: directory, "stopped at damage: \(problem.message)", exitCode: .workFailed).report()
        }
    }
}
