// A minimal HTTP/1.1 client over loopback (GET, POST with JSON), for the admin endpoints in
// black-box tests.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `GET path` on `127.0.0.1:port` with `Connection: close`; the whole answer read until EOF.
public enum LoopbackHTTP {
    public struct Response: Sendable {
        /// The status code (200, 404, 503, ...).
        public var status: Int
        /// Header lines, names lower-cased.
        public var headers: [String: String]
        public var body: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func get(port: Int, path: String, timeout: Double = 10) throws -> Response {
        try exchange("GET", port: port, path: path, body: nil, timeout: timeout)
    }

    /// `POST path` with a JSON body.
    public static func post(port: Int, path: String, json: String, timeout: Double = 10) throws -> Response {
        try exchange("POST", port: port, path: path, body: json, timeout: timeout)
    }

    private static func exchange(_ method: String, port: Int, path: String, body: String?, timeout: Double) throws -> Response {
        let fd = try LoopbackMLLPConnection.connectSocket(port: port, timeout: timeout)
        defer { close(fd) }
        var requestHead = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let body { requestHead += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        let request = Array((requestHead + "\r\n" + (body ?? "")).utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw Failure(description: "send failed: \(String(cString: strerror(errno)))")
        }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let deadline = monotonicSeconds() + timeout
        while true {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = deadline - monotonicSeconds()
            guard remaining > 0, poll(&poller, 1, Int32(remaining * 1000)) > 0 else {
                throw Failure(description: "no complete answer to \(method) \(path) within \(timeout) s")
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += chunk[0..<count]
        }
        guard let split = firstIndex(of: [13, 10, 13, 10], in: answer[...]) else {
            throw Failure(description: "malformed answer: \(String(decoding: answer.prefix(200), as: UTF8.self))")
        }
        let head = String(decoding: answer[..<split], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1.1 "),
              let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw Failure(description: "malformed status line: \(head.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingLeadingSpaces()
        }
        var body = answer[(split + 4)...]
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    /// The payload of a chunked body.
    private static func dechunk(_ body: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var rest = body
        var out: [UInt8] = []
        while let lineEnd = firstIndex(of: [13, 10], in: rest),
              let size = Int(String(decoding: rest[..<lineEnd], as: UTF8.self), radix: 16), size > 0 {
            let start = lineEnd + 2
            guard start + size <= rest.endIndex else { break }
            out += rest[start..<(start + size)]
            rest = rest[(start + size)...].dropFirst(2)
        }
        return out[...]
    }

    private static func firstIndex(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = haystack.startIndex
        while index + needle.count <= haystack.endIndex {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingLeadingSpaces() -> String { String(drop(while: { $0 == " " })) }
}

/// The value of an unlabelled-or-labelled sample in Prometheus text: the first line starting
/// with `name` (including its `{labels}` when given) — `nil` when absent.
public func prometheusValue(_ exposition: String, _ series: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}
