// The caseload's HTTP JSON API on the admin listener: queries, the quality report, and
// coordinators completing tasks (journaled before the answer).
import Caseload
import Foundation
import Hummingbird
import Integration
import NIOCore

/// `/api/v1/cases`, `/api/v1/cases/{id}`, `/api/v1/patients/{identifier}`,
/// `/api/v1/patients/{identifier}/history`, `/api/v1/tasks?due_before=…&coordinator=…`,
/// `/api/v1/referrals`, `/api/v1/coordinators`, `/api/v1/reports/summary?since=…&until=…`,
/// `POST /api/v1/tasks/{id}/complete` with `{"by": "coord-a", "note": "called the patient"}`.
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
                    return badRequest("due_before: expected YYYY-MM-DD, an ISO 8601 time or 'today'")
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
        router.get("/api/v1/reports/summary") { request, _ -> Response in
            let query = request.uri.queryParameters
            var now = WallClock.microseconds() / 1_000_000
            if let text = query["until"].map(String.init) {
                guard let parsed = CaseloadQueryTime.parse(text) else {
                    return badRequest("until: expected YYYY-MM-DD or an ISO 8601 time")
                }
                now = parsed
            }
            var since = now - 30 * 86_400
            if let text = query["since"].map(String.init) {
                guard let parsed = CaseloadQueryTime.parse(text) else {
                    return badRequest("since: expected YYYY-MM-DD or an ISO 8601 time")
                }
                since = parsed
            }
            let rules = engine.rules
            // A copy (O(1)) so the scan of every case and task runs outside the caseload lock.
            let state = engine.read { copy $0 }
            return json(CaseloadViews.report(QualityReport(state: state, rules: rules, now: now, since: since)))
        }
        router.post("/api/v1/tasks/{id}/complete") { request, context -> Response in
            let body = try await request.body.collect(upTo: 16 << 10)
            return await Self.completeTask(context.parameters.get("id") ?? "", body: String(buffer: body), engine: engine)
        }
        router.get("/api/v1/coordinators") { _, _ -> Response in
            let rules = engine.rules
            return json(engine.read { CaseloadViews.coordinators(rules, in: $0) })
        }
    }
}

extension CaseloadAPI {
    /// `POST /api/v1/tasks/{id}/complete`: journals the completion, then answers with the task.
    static func completeTask(_ id: String, body: String, engine: CaseloadEngine) async -> Response {
        guard let completion = try? JSONDecoder().decode(TaskCompletion.self, from: Data(body.utf8)) else {
            return badRequest(#"expected a JSON body {"by": "coordinator id", "note": "what was done"}"#)
        }
        let now = WallClock.microseconds()
        var at = now / 1_000_000
        if let text = completion.at {
            guard let parsed = CaseloadQueryTime.parse(text) else { return badRequest("at: expected an ISO 8601 time") }
            at = parsed
        }
        let action = CoordinatorAction(kind: .completeTask, taskID: id, actor: completion.by, note: completion.note ?? "", at: at)
        do {
            // The request context does not carry the client address: the record names the API.
            _ = try await engine.perform(action, peer: "admin-api", recordedAtMicroseconds: now)
        } catch {
            switch error {
            case .refused(.unknownTask): return notFound(error.description)
            case .refused(.notOpen): return failure(.conflict, error.description)
            case .refused(.missingActor): return badRequest(error.description)
            case .unavailable: return failure(.serviceUnavailable, error.description)
            }
        }
        return engine.read { state -> Response in
            guard let task = state.tasks[id] else { return notFound("no task \(id)") }
            return json(CaseloadViews.task(task, in: state))
        }
    }
}

func json(_ value: some Encodable) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"],
             body: .init(byteBuffer: ByteBuffer(string: CaseloadViews.json(value) + "\n")))
}

func notFound(_ text: String) -> Response { failure(.notFound, text) }

func badRequest(_ text: String) -> Response { failure(.badRequest, text) }

func failure(_ status: HTTPResponse.Status, _ text: String) -> Response {
    Response(status: status, headers: [.contentType: "application/json"],
             body: .init(byteBuffer: ByteBuffer(string: CaseloadViews.json(["error": text], pretty: false) + "\n")))
}

/// The body of `POST /api/v1/tasks/{id}/complete`.
private struct TaskCompletion: Decodable {
    /// Who did the task (a coordinator id).
    var by: String
    /// What was done.
    var note: String?
    /// When (ISO 8601); default: now.
    var at: String?
}

/// `today` (end of today, UTC), `YYYY-MM-DD` (start of that day, UTC) or a full ISO 8601 time.
public enum CaseloadQueryTime {
    /// Now, in seconds since the epoch.
    public static var now: Int64 { WallClock.microseconds() / 1_000_000 }

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
