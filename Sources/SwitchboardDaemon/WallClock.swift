// The wall clock, for receipt times and ACK timestamps.
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

enum WallClock {
    /// Microseconds since the Unix epoch (CLOCK_REALTIME).
    static func microseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }

    /// Microseconds of CLOCK_MONOTONIC (what systemd's MONOTONIC_USEC means).
    static func monotonicMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }
}
