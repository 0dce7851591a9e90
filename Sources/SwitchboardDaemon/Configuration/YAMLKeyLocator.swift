// Where each key of a block-style YAML file is: its line, for error messages, and the set of
// keys present, to refuse the ones Switchboard does not know (a typo must not be ignored).

/// A line-oriented scan of block-style YAML mappings (the style of config/switchboard.yaml).
/// It only locates keys; the values are read by swift-configuration's YAML provider.
struct YAMLKeyLocator {
    /// Dotted key path → 1-based line.
    private(set) var lines: [String: Int] = [:]
    /// Dotted paths that hold a value (scalar, list or flow collection), not a nested mapping.
    private(set) var leaves: Set<String> = []

    init(text: String) {
        var stack: [(indent: Int, key: String)] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Self.withoutComment(rawLine)
            let indent = line.prefix(while: { $0 == " " }).count
            let content = line.dropFirst(indent)
            guard !content.isEmpty, !content.hasPrefix("-"), !content.hasPrefix("---") else { continue }
            guard let colon = content.firstIndex(of: ":") else { continue }
            var key = content[..<colon].trimmingCharacters(in: " ")
            if key.count >= 2, let first = key.first, first == "\"" || first == "'", key.last == first {
                key = String(key.dropFirst().dropLast())
            }
            guard !key.isEmpty else { continue }
            while let top = stack.last, top.indent >= indent { stack.removeLast() }
            let path = (stack.map(\.key) + [key]).joined(separator: ".")
            if let parent = stack.isEmpty ? nil : stack.map(\.key).joined(separator: ".") { leaves.remove(parent) }
            lines[path] = lines[path] ?? index + 1
            leaves.insert(path)
            stack.append((indent, key))
        }
    }

    /// The names directly under `key` (`rules.teams` → `medicine`, `surgery`), in file order.
    func children(of key: String) -> [String] {
        let prefix = key + "."
        var names: [(line: Int, name: String)] = []
        for (path, line) in lines where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            if !rest.contains(".") { names.append((line, String(rest))) }
        }
        return names.sorted { $0.line < $1.line }.map(\.name)
    }

    /// The line of `key`, when the file has it.
    func line(of key: String) -> Int? { lines[key] }

    private static func withoutComment(_ line: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#", previous == " " || previous == "\t" {
                return line[..<index]
            }
            previous = character
        }
        return line
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var view = self
        while view.first == set { view.removeFirst() }
        while view.last == set { view.removeLast() }
        return String(view)
    }
}
