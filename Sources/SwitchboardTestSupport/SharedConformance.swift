/// Where the read-only conformance corpus lives: `$SWITCHBOARD_CONFORMANCE_DIR`, else
/// `../shared/conformance` beside the repository. Tests skip when it is absent.
public enum SharedConformance {
    /// The corpus folder, or `nil` when it is not there.
    public static func directory(repositoryRoot: String) -> String? {
        if let env = getenv("SWITCHBOARD_CONFORMANCE_DIR").map({ String(cString: $0) }), !env.isEmpty {
            return isDirectory(env) ? env : nil
        }
        let candidate = repositoryRoot + "/../shared/conformance"
        return isDirectory(candidate + "/corpus") ? candidate : nil
    }

    /// The repository root for a test file path (`#filePath` is `<root>/Tests/<Target>/<File>.swift`).
    public static func repositoryRoot(testFile: String) -> String {
        var parts = testFile.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
