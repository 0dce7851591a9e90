import ArgumentParser
import Caseload
import CaseloadStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Journal
import Outbox
import SwitchboardDaemon

/// `switchboard outbox`: outbound messages waiting, delivered or dead-lettered.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "List, show, retry or drop outbound messages (REF^I12/I14 to partners).",
        discussion: """
            list and show read a running daemon's admin API (--admin, default 127.0.0.1:9575) or, \
            read-only, a state directory (--state; works while the daemon runs). retry and drop \
            ask the running daemon, which journals the action before it answers.

            Examples:
              switchboard outbox list
              switchboard outbox list --state /var/lib/switchboard --status dead-lettered
              switchboard outbox show O-17
              switchboard outbox retry O-17 --by ops-jane
              switchboard outbox drop O-18 --by ops-jane
            """,
        subcommands: [List.self, Show.self, Retry.self, Drop.self]
    )

    struct Source: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The daemon's admin listener.", valueName: "HOST:PORT"))
        var admin: String?

        @Option(name: .long, help: ArgumentHelp("Read a state directory instead of asking the daemon (read-only).", valueName: "DIR"))
        var state: String?

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func outbox() throws -> OutboxState? {
            guard let state else { return nil }
            guard admin == nil else { throw CLIError("give --admin or --state, not both") }
            let directory = JournalConfiguration(stateDirectory: state).directory
            do {
                return try CaseloadState.replayOutbox(directory: directory)
            } catch {
                throw CLIError(file: directory, "\(error)").report()
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each destination's queue, and the entries not yet delivered.")
        @OptionGroup var source: Source
        @Option(help: "Only this destination.") var destination: String?
        @Option(help: "Only entries with this status (pending, dead-lettered; with --recent also delivered, dropped).") var status: String?
        @Flag(help: "Also the recently finished entries (up to 1,000 per destination).") var recent = false

        func run() async throws {
            let view: OutboxViews.ListView
            if let outbox = try source.outbox() {
                view = OutboxViews.list(outbox, destination: destination, status: status, recent: recent)
            } else {
                var query: [String] = []
                if let destination { query.append("destination=\(AdminHTTP.escape(destination))") }
                if let status { query.append("status=\(AdminHTTP.escape(status))") }
                if recent { query.append("recent=true") }
                view = try await AdminHTTP.get(OutboxViews.ListView.self, admin: source.admin,
                                               path: "/api/v1/outbox" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
            }
            if source.json { return print(CaseloadViews.json(view)) }
            if view.destinations.isEmpty { print("the outbox is empty") }
            for d in view.destinations {
                print("\(d.destination): \(d.depth) waiting (\(d.pending) pending, \(d.deadLetters) dead letters)"
                      + (d.inFlight.map { ", \($0) in flight" } ?? "") + (d.oldestCreatedAt.map { ", oldest from \($0)" } ?? ""))
            }
            for e in view.entries { print(Self.line(e)) }
        }

        static func line(_ e: OutboxViews.EntryView) -> String {
            "\(e.id)  \(e.destination)  \(e.status)  \(e.controlID)  \(e.subject)  attempts \(e.attempts)"
                + (e.lastOutcome.isEmpty ? "" : "  (\(e.lastOutcome))")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One entry, with its message.")
        @OptionGroup var source: Source
        @Argument(help: "The entry id (O-17).") var id: String

        func run() async throws {
            let view: OutboxViews.EntryView
            if let outbox = try source.outbox() {
                guard let entry = outbox.entry(id) else { throw CLIError("no outbox entry \(id) in \(source.state ?? "")") }
                view = OutboxViews.view(entry, withMessage: true)
            } else {
                view = try await AdminHTTP.get(OutboxViews.EntryView.self, admin: source.admin, path: "/api/v1/outbox/\(AdminHTTP.escape(id))")
            }
            if source.json { return print(CaseloadViews.json(view)) }
            print(List.line(view))
            print("created \(view.createdAt)" + (view.nextAttemptAt.map { ", next attempt \($0)" } ?? ""))
            if let message = view.message { print(message) }
        }
    }

    /// What `retry` and `drop` take: the entry, who asks, and the daemon to ask.
    struct ActionArguments: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The daemon's admin listener.", valueName: "HOST:PORT")) var admin: String?
        @Option(help: "Who asks (journaled with the action).") var by: String
        @Argument(help: "The entry id (O-17).") var id: String

        /// `POST /api/v1/outbox/{id}/{verb}`; prints the entry as it is afterwards.
        func perform(_ verb: String) async throws {
            let view = try await AdminHTTP.post(OutboxViews.EntryView.self, admin: admin, path: "/api/v1/outbox/\(AdminHTTP.escape(id))/\(verb)",
                                                body: CaseloadViews.json(["by": by], pretty: false))
            print(List.line(view))
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a dead letter again (its attempts start over).")
        @OptionGroup var action: ActionArguments

        func run() async throws { try await action.perform("retry") }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give up on an entry (pending or dead-lettered).")
        @OptionGroup var action: ActionArguments

        func run() async throws { try await action.perform("drop") }
    }
}

/// Calls the daemon's admin API (URLSession; loopback by default).
enum AdminHTTP {
    static func get<T: Decodable>(_ type: T.Type, admin: String?, path: String) async throws -> T {
        try await call(type, admin: admin, path: path, method: "GET", body: nil)
    }

    static func post<T: Decodable>(_ type: T.Type, admin: String?, path: String, body: String) async throws -> T {
        try await call(type, admin: admin, path: path, method: "POST", body: body)
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=?/#"))) ?? text
    }

    private static func call<T: Decodable>(_ type: T.Type, admin: String?, path: String, method: String, body: String?) async throws -> T {
        let address = admin ?? "127.0.0.1:9575"
        guard HostAndPort(address) != nil, let url = URL(string: "http://\(address)\(path)") else {
            throw CLIError("--admin \(address): expected HOST:PORT")
        }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CLIError("cannot reach the daemon's admin listener at \(address): \(error.localizedDescription) (is it running? --admin, or --state for a read-only look)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            let message = (try? JSONDecoder().decode([String: String].self, from: data))?["error"] ?? String(decoding: data, as: UTF8.self)
            throw CLIError("\(method) \(path): HTTP \(status): \(message)")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw CLIError("\(method) \(path): unexpected answer: \(error)")
        }
    }
}
