// The outbox on the admin listener: list, show, retry, drop.
import Foundation
import Hummingbird
import Integration
import NIOCore
import Outbox

/// `GET /api/v1/outbox?destination=&status=&recent=true&limit=1000`, `GET /api/v1/outbox/{id}`,
/// `POST /api/v1/outbox/{id}/retry` and `POST /api/v1/outbox/{id}/drop` with `{"by": "operator"}`
/// (journaled before the answer).
struct OutboxAPI: Sendable {
    let engine: CaseloadEngine

    func register(on router: Router<BasicRequestContext>) {
        let engine = engine
        router.get("/api/v1/outbox") { request, _ -> Response in
            let query = request.uri.queryParameters
            let destination = query["destination"].map(String.init), status = query["status"].map(String.init)
            let recent = query["recent"].map { $0 == "true" || $0 == "1" } ?? false
            let limit = query["limit"].flatMap { Int($0) }.map { min(max($0, 0), 100_000) } ?? 1_000
            return json(engine.readOutbox { OutboxViews.list($0, destination: destination, status: status, recent: recent, limit: limit) })
        }
        router.get("/api/v1/outbox/{id}") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            guard let entry = engine.readOutbox({ $0.entry(id) }) else { return notFound("no outbox entry \(id)") }
            return json(OutboxViews.view(entry, withMessage: true))
        }
        router.post("/api/v1/outbox/{id}/retry") { request, context -> Response in
            let body = try await request.body.collect(upTo: 16 << 10)
            return await Self.act(.retry, id: context.parameters.get("id") ?? "", body: String(buffer: body), engine: engine)
        }
        router.post("/api/v1/outbox/{id}/drop") { request, context -> Response in
            let body = try await request.body.collect(upTo: 16 << 10)
            return await Self.act(.drop, id: context.parameters.get("id") ?? "", body: String(buffer: body), engine: engine)
        }
    }

    enum Action { case retry, drop }

    static func act(_ action: Action, id: String, body: String, engine: CaseloadEngine) async -> Response {
        struct Body: Decodable { var by: String }
        guard let parsed = try? JSONDecoder().decode(Body.self, from: Data(body.utf8)), !parsed.by.isEmpty else {
            return badRequest(#"expected a JSON body {"by": "who asks"}"#)
        }
        let now = WallClock.microseconds() / 1000
        do {
            switch action {
            case .retry: _ = try await engine.retryOutboxEntry(id, by: parsed.by, now: now)
            case .drop: _ = try await engine.dropOutboxEntry(id, by: parsed.by, now: now)
            }
        } catch {
            switch error {
            case .refused(.unknownEntry): return notFound(error.description)
            case .refused: return failure(.conflict, error.description)
            case .unavailable: return failure(.serviceUnavailable, error.description)
            }
        }
        guard let entry = engine.readOutbox({ $0.entry(id) }) else { return notFound("no outbox entry \(id)") }
        return json(OutboxViews.view(entry, withMessage: false))
    }
}
