// Is standard error connected to the systemd journal? (`$JOURNAL_STREAM`, systemd.exec(5))
// Foundation (used by the caseload JSON views in this module) re-declares the C structs via
// Dispatch; importing it here keeps one visible declaration of timespec/stat.
import Foundation
#if canImport(CDispatch)
import CDispatch
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// systemd sets `JOURNAL_STREAM=DEVICE:INODE` for a service whose stdout or stderr goes to the
/// journal. A process should only switch to journal-native output when its own stderr still is
/// that stream (not when it was redirected, or inherited the variable from a parent).
public enum JournalStream {
    /// True when file descriptor 2 is the stream `$JOURNAL_STREAM` names.
    public static var isStandardErrorJournal: Bool {
        guard let raw = getenv("JOURNAL_STREAM") else { return false }
        return matches(String(cString: raw), descriptor: 2)
    }

    /// True when `value` (`DEVICE:INODE`, decimal) names the file open at `descriptor`.
    public static func matches(_ value: String, descriptor: Int32) -> Bool {
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
