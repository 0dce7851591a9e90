// HL7 and HL7XML are compiled as one module for the fuzzer (scripts/fuzz.sh).
#if canImport(HL7)
import HL7
#endif
import Synchronization

/// Idle parser sessions, so that a parse takes a ready libxml2 context and mapper instead of
/// creating and freeing them (which cost about a fifth of libxml2's time on 5 KB documents).
///
/// A session goes back only after a successful parse that left it small (see
/// ``XMLParseSession/isReusable``); at most ``capacity`` wait, the rest are freed. Concurrent
/// parses (the daemon's event loops) each take their own.
enum XMLParserPool {
    /// The most idle sessions kept.
    static let capacity = 8
    private static let idle = Mutex<[XMLParseSession]>([])

    /// Runs `body` with a session of its own, and keeps the session for later when it may be reused.
    static func withSession<Result>(_ body: (XMLParseSession) throws(HL7XMLError) -> Result) throws(HL7XMLError) -> Result {
        let session: XMLParseSession
        if let waiting = idle.withLock({ $0.popLast() }) {
            session = waiting
        } else {
            session = try XMLParseSession()
        }
        let result = try body(session)
        if session.isReusable {
            idle.withLock { sessions in
                if sessions.count < capacity { sessions.append(session) }
            }
        }
        return result
    }
}
