// Errors of the journal: a struct with a code, a message, a location and a cause, in the style of
// swift-nio's `FileSystemError` (DESIGN §2 "models to learn from").
public import SystemPackage

/// An error from the journal. Every error carries a ``Code`` to switch on, a human-readable
/// message, and where possible the segment file and byte offset it concerns and the system
/// error that caused it.
public struct JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case corrupt, diskFull, failStopped, locked, io, invalidArgument, insecurePermissions,
                closed, notFound
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A record or snapshot failed validation where damage is not a torn tail: the journal
        /// refuses to open. `journal verify` and `journal repair` explain what to do.
        public static let corrupt = Code(.corrupt)
        /// The disk is full (ENOSPC, EDQUOT, EFBIG). Nothing of the failed append remains on disk;
        /// appends may succeed again once space is freed.
        public static let diskFull = Code(.diskFull)
        /// A write or sync failed earlier: this journal never reports durability again in this
        /// process (PostgreSQL's 2018 fsync lesson). Restart the process to recover.
        public static let failStopped = Code(.failStopped)
        /// Another process (or another open journal in this one) holds the state directory.
        public static let locked = Code(.locked)
        /// A system call failed; see ``JournalError/cause``.
        public static let io = Code(.io)
        /// The caller passed something out of range (e.g. a record above the size limit).
        public static let invalidArgument = Code(.invalidArgument)
        /// The journal directory is readable or writable by group or others.
        public static let insecurePermissions = Code(.insecurePermissions)
        /// The journal was closed.
        public static let closed = Code(.closed)
        /// The journal directory or a requested item does not exist.
        public static let notFound = Code(.notFound)

        public var description: String { value.rawValue }
    }

    /// Where in the journal the problem is.
    public struct Location: Hashable, Sendable, CustomStringConvertible {
        /// The file name (not the full path) of the segment or snapshot.
        public var file: String
        /// The byte offset inside that file, if one is known.
        public var offset: Int64?

        public init(file: String, offset: Int64? = nil) {
            self.file = file
            self.offset = offset
        }

        public var description: String {
            if let offset { return "\(file) at offset \(offset)" }
            return file
        }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The file and offset concerned, if any.
    public var location: Location?
    /// The system error underneath, if any.
    public var cause: Errno?

    public init(code: Code, message: String, location: Location? = nil, cause: Errno? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.cause = cause
    }

    public var description: String {
        var text = "journal \(code): \(message)"
        if let location, !message.contains(location.file) { text += " (\(location))" }
        if let cause { text += " [\(cause)]" }
        return text
    }
}

extension JournalError {
    static func io(_ what: String, path: String, _ errno: Errno) -> JournalError {
        JournalError(code: .io, message: "\(what) \(path) failed: \(errno)", location: nil, cause: errno)
    }

    static func corrupt(_ reason: String, file: String, offset: Int64) -> JournalError {
        JournalError(
            code: .corrupt,
            message: "corrupt record at offset \(offset) in segment \(file): \(reason)",
            location: Location(file: file, offset: offset))
    }

    /// True for the errno values that mean "out of space" rather than "the device failed".
    static func isOutOfSpace(_ errno: Errno) -> Bool {
        errno == .noSpace || errno == .fileTooLarge || errno == .diskQuotaExceeded
    }
}
