/// A `HOST:PORT` to send to (`127.0.0.1:2575`, `mllp.example.invalid:2575`, `[::1]:2575`).
public struct MLLPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or address (IPv6 without brackets).
    public var host: String
    /// TCP port, 1–65535.
    public var port: Int

    /// Creates an endpoint.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Why a `HOST:PORT` text was refused.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// A sentence quoting the text.
        public var message: String
        public var description: String { message }
    }

    /// Parses `HOST:PORT` (`[V6]:PORT` for IPv6 addresses).
    public init(parsing text: String) throws(ParseError) {
        func fail(_ why: String) -> ParseError { ParseError(message: "'\(text)' is not HOST:PORT: \(why)") }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("missing ']' after the IPv6 address") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw fail("expected ':' and a port after ']'") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw fail("no ':' before the port") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { throw fail("write IPv6 addresses as [ADDRESS]:PORT") }
        }
        guard !host.isEmpty else { throw fail("empty host") }
        guard let port = Int(portText), (1...65535).contains(port) else { throw fail("the port must be a number from 1 to 65535") }
        self.init(host: String(host), port: port)
    }

    /// `host:port` (`[host]:port` for IPv6).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
