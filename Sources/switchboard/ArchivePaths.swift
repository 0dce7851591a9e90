#if canImport(Glibc)
import Glibc
#endif

/// Turns replay arguments into files: a directory is read recursively (names sorted, hidden
/// files skipped), a pattern with `*`, `?` or `[` is expanded with glob(3), `-` is standard
/// input. `named` is false for files found inside a directory: those may be something else
/// (a README) and are skipped when they hold no message, where a named file is an error.
enum ArchivePaths {
    static func expand(_ arguments: [String]) throws(CLIError) -> [(path: String, named: Bool)] {
        var paths: [(path: String, named: Bool)] = []
        for argument in arguments {
            if argument == "-" {
                paths.append((argument, true))
            } else if argument.contains(where: { "*?[".contains($0) }) {
                let matches = globbed(argument)
                guard !matches.isEmpty else { throw CLIError(file: argument, "no file matches") }
                for match in matches { paths += try files(under: match).map { ($0, $0 == match) } }
            } else {
                paths += try files(under: argument).map { ($0, $0 == argument) }
            }
        }
        return paths
    }

    private static func files(under path: String) throws(CLIError) -> [String] {
        var status = stat()
        guard stat(path, &status) == 0 else { throw CLIError(file: path, "cannot open: \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFDIR else { return [path] }
        guard let directory = opendir(path) else { throw CLIError(file: path, "cannot read the directory: \(String(cString: strerror(errno)))") }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." || name.hasPrefix(".") { continue }
            names.append(name)
        }
        var result: [String] = []
        for name in names.sorted() {
            result += try files(under: path.hasSuffix("/") ? path + name : path + "/" + name)
        }
        return result
    }

    private static func globbed(_ pattern: String) -> [String] {
        var results = glob_t()
        defer { globfree(&results) }
        guard glob(pattern, 0, nil, &results) == 0 else { return [] }
        return (0..<Int(results.gl_pathc)).compactMap { index in results.gl_pathv[index].map { String(cString: $0) } }
    }
}
