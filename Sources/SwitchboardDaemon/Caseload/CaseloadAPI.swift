// The caseload's HTTP JSON API on the admin listener (read-only).
import Caseload
import Foundation
import Hummingbird
import Integration
import NIOCore

/// `/api/v1/cases`, `/api/v1/cases/{id}`, `/api/v1/patients/{identifier}`,
/// `/api/v1/patients/{identifier}/history`, `/api/v1/tasks?due_before=…&coordinator=…`,
/// `/api/v1/referrals`, `/api/v1/coordinators`.
struct CaseloadAPI: Sendable {
    let engine: CaseloadEngine

    func register(on router: Router<BasicRequestContext>) {
        let engine = engine
        router.get("/api/v1/cases") { request, _ -> Response in
            let query = request.uri.queryParameters
            let status = query["status"].map(String.init), coordinator = query["coordinator"].map(String.init)
            return json(engine.read { CaseloadViews.cases(status: status, coordinator: coordinator, in: $0) })
        }
        router.get("/api/v1/cases/{id}") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            return engine.read { state -> Response in
                guard let found = state.cases[id] else { return notFound("no case \(id)") }
                return json(CaseloadViews.careCase(found))
            }
        }
        router.get("/api/v1/patients/{identifier}") { _, context -> Response in
            let identifier = context.parameters.get("identifier") ?? ""
            return engine.read { state -> Response in
                CaseloadViews.patientDetail(identifier, in: state).map { json($0) } ?? notFound("no patient \(identifier)")
            }
        }
        router.get("/api/v1/patients/{identifier}/history") { _, context -> Response in
            let identifier = context.parameters.get("identifier") ?? ""
            return engine.read { state -> Response in
                CaseloadViews.history(identifier, in: state).map { json($0) } ?? notFound("no patient \(identifier)")
            }
        }
        router.get("/api/v1/tasks") { request, _ -> Response in
            let query = request.uri.queryParameters
            var dueBefore: Int64?
            if let text = query["due_before"].map(String.init) {
                guard let parsed = CaseloadQueryTime.parse(text) else {
                    return Response(status: .badRequest, headers: [.contentType: "application/json"],
                                    body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"due_before: expected YYYY-MM-DD, an ISO 8601 time or 'today'\"}\n")))
                }
                dueBefore = parsed
            }
            let coordinator = query["coordinator"].map(String.init)
            let all = query["status"].map(String.init) == "all"
            return json(engine.read { CaseloadViews.tasks(dueBefore: dueBefore, coordinator: coordinator, includeResolved: all, in: $0) })
        }
        router.get("/api/v1/referrals") { _, _ -> Response in
            json(engine.read { CaseloadViews.referrals(in: $0) })
        }
        router.get("/api/v1/coordinators") { _, _ -> Response in
            let rules = engine.rules
            return json(engine.read { CaseloadViews.coordinators(rules, in: $0) })
        }
    }
}

private func json(_ value: some Encodable) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"],
             body: .init(byteBuffer: ByteBuffer(string: CaseloadViews.json(value) + "\n")))
}

private func notFound(_ text: String) -> Response {
    Response(status: .notFound, headers: [.contentType: "application/json"],
             body: .init(byteBuffer: ByteBuffer(string: CaseloadViews.json(["error": text], pretty: false) + "\n")))
}

/// `today` (end of today, UTC), `YYYY-MM-DD` (start of that day, UTC) or a full ISO 8601 time.
public enum CaseloadQueryTime {
    public static func parse(_ text: String, now: Int64? = nil) -> Int64? {
        let now = now ?? WallClock.microseconds() / 1_000_000
        if text == "today" { return (now / 86_400 + 1) * 86_400 }
        if text == "tomorrow" { return (now / 86_400 + 2) * 86_400 }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        return nil
    }
}
