import ArgumentParser
import AsyncHTTPClient
import BuildtimeCore
import Foundation
import NIOCore
import NIOHTTP1

extension Buildtime {
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pull",
            abstract: "Read pipelines and their step logs from a Woodpecker server and store one run per step.",
            discussion: """
                Looks the repository up, lists its pipelines newest first (50 a page), reads each one's workflows and \
                steps, and stores the log of every step that holds work (commands and plugins; --step names others) \
                with what the API says of it: pipeline number, commit, branch, event, author, changed files, and the \
                pipeline's and the step's times (the queue time, created to started, is kept as a metric of its own). \
                It stops at the first finished pipeline whose steps are all stored, so running it again adds only new \
                pipelines; --all reads every page. A step still running is left for the next pull. A run already \
                ingested from a file (the same pipeline number and step, or the same log) is not stored twice.
                The token is $WOODPECKER_TOKEN or the first line of --token-file: a personal token from \
                https://SERVER/user, with pull access to the repository. Woodpecker 2.x and 3.x are both read. At most \
                4 requests are in flight. One line per stored run on stdout; problems on stderr. Exit status 1 if a \
                step's log could not be read (the others are stored).
                """
        )

        @Option(help: ArgumentHelp("The Woodpecker server, e.g. https://ci.example.com (default: $WOODPECKER_SERVER).", valueName: "url"))
        var server: String?

        @Option(help: ArgumentHelp("The repository, OWNER/NAME (default: $CI_REPO).", valueName: "owner/name"))
        var repo: String?

        @Option(name: .customLong("step"), help: ArgumentHelp("A step whose log to store (repeat for more); default: every commands and plugin step.", valueName: "name"))
        var steps: [String] = []

        @Option(help: ArgumentHelp("Only pipelines from this number on, or created since this time (ISO-8601).", valueName: "number|date"))
        var since: PullSince?

        @Flag(help: "Read every page, not only the pipelines newer than those stored.")
        var all = false

        @Option(help: ArgumentHelp("A file whose first line is the token (instead of $WOODPECKER_TOKEN).", valueName: "file"))
        var tokenFile: String?

        @Option(help: ArgumentHelp("Seconds to wait to connect, and for each answer.", valueName: "seconds"))
        var timeout: Double = 15

        @OptionGroup var store: StoreOptions
        @OptionGroup var config: ConfigOptions

        func validate() throws {
            guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
            if let repo, repo.split(separator: "/").count != 2 { throw ValidationError("--repo must be OWNER/NAME, not '\(repo)'") }
        }

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            guard let serverText = (server ?? environment["WOODPECKER_SERVER"]).flatMap({ $0.isEmpty ? nil : $0 }) else {
                throw ValidationError("give the server with --server URL (or $WOODPECKER_SERVER)")
            }
            guard let base = URL(string: serverText), ["http", "https"].contains(base.scheme?.lowercased() ?? ""), base.host != nil else {
                throw ValidationError("--server must be an http:// or https:// URL, not '\(serverText)'")
            }
            guard let name = (repo ?? environment["CI_REPO"]).flatMap({ $0.isEmpty ? nil : $0 }), name.split(separator: "/").count == 2 else {
                throw ValidationError("give the repository with --repo OWNER/NAME (or $CI_REPO)")
            }
            let token = try Self.token(file: tokenFile, environment: environment)
            let configuration = try config.load()
            let database = try store.open()

            let api = WoodpeckerClient(base: base, token: token, timeout: timeout)
            defer { api.shutdown() }
            let version = try? await api.version()
            let found = try await api.repo(name)
            let selection = PullSelection(steps: steps, since: since)
            var tally = Tally()
            let progress = Terminal.stderrIsTerminal
            var page = 1
            walk: while true {
                let pipelines = try await api.pipelines(repo: found.id, page: page)
                // The page's pipelines with their steps, four requests at a time, until the first one pulled before.
                let wanted = Array(pipelines.prefix { selection.takes($0) })
                var jobs: [(pipeline: Woodpecker.Pipeline, step: Woodpecker.Step)] = []
                var stop = wanted.count < pipelines.count
                chunks: for start in stride(from: 0, to: wanted.count, by: WoodpeckerClient.inFlight) {
                    let chunk = Array(wanted[start..<min(start + WoodpeckerClient.inFlight, wanted.count)])
                    let details = await api.concurrentlyCatching(chunk) { pipeline in try await api.pipeline(repo: found.id, number: pipeline.number) }
                    for (listed, result) in zip(chunk, details) {
                        let detail: Woodpecker.Pipeline
                        switch result {
                        case .success(let value): detail = value
                        case .failure(let error):
                            tally.failed += 1
                            Terminal.error("pipeline #\(listed.number): \(WoodpeckerClient.describe(error, server: base))\n")
                            continue
                        }
                        tally.pipelines += 1
                        let chosen = detail.steps.filter { selection.chooses($0) }
                        let known = try database.runs(pipeline: detail.number)
                        let stored = chosen.filter { Self.isStored($0, of: chosen, repo: found.fullName, among: known) }
                        let waiting = chosen.filter { !$0.isDone }
                        tally.running += waiting.count
                        tally.duplicates += stored.count
                        jobs += chosen.filter { step in step.isDone && Woodpecker.ran(step.state) && !stored.contains(step) }.map { (detail, $0) }
                        // The first finished pipeline whose steps are all here: the ones after it were pulled before.
                        if !all, detail.isDone, waiting.isEmpty, stored.count == chosen.count, !chosen.isEmpty {
                            stop = true
                            break chunks
                        }
                    }
                }
                if progress { Terminal.progress("page \(page): \(tally.pipelines) pipelines read, \(jobs.count) logs to fetch") }
                let logs = await api.concurrentlyCatching(jobs) { job in try await api.log(repo: found.id, number: job.pipeline.number, step: job.step.id) }
                if progress { Terminal.progress("") }
                // Oldest first, so the ids go with the time.
                for (job, result) in zip(jobs, logs).reversed() {
                    let label = "pipeline #\(job.pipeline.number) step \(job.step.name)"
                    switch result {
                    case .failure(let error):
                        tally.failed += 1
                        Terminal.error("\(label): \(WoodpeckerClient.describe(error, server: base))\n")
                    case .success(let bytes):
                        var ingester = Ingester(configuration: configuration, metadata: Woodpecker.metadata(of: job.pipeline, step: job.step, repo: found.fullName))
                        ingester.context = Woodpecker.context(of: job.pipeline, step: job.step)
                        ingester.fallbackStartedAt = job.step.started ?? job.pipeline.started
                        let source = base.appending(path: "repos/\(found.id)/pipeline/\(job.pipeline.number)/\(job.step.pid ?? Int(job.step.id))").absoluteString
                        do {
                            let (run, outcome, _) = try ingester.ingest(from: MemoryByteSource(bytes), name: source, into: database)
                            switch outcome {
                            case .inserted(let id):
                                tally.stored += 1
                                Terminal.out("stored     run \(id)  \(Terminal.escaped(label))  \(Ingest.summary(run))\n")
                            case .duplicate(let id):
                                tally.duplicates += 1
                                Terminal.out("unchanged  run \(id)  \(Terminal.escaped(label))  already stored, nothing added\n")
                            }
                        } catch where error.notALog {
                            tally.empty += 1
                            Terminal.error("\(label): \(error.reason)\n")
                        } catch {
                            tally.failed += 1
                            Terminal.error("\(label): \(error.reason)\n")
                        }
                    }
                }
                if stop || pipelines.count < WoodpeckerClient.perPage { break walk }
                page += 1
            }
            let server = version.map { " (Woodpecker \($0.version))" } ?? ""
            Terminal.error("\(found.fullName)\(server): \(tally.pipelines) pipeline\(tally.pipelines == 1 ? "" : "s") read; \(tally.stored) run\(tally.stored == 1 ? "" : "s") stored, \(tally.duplicates) already present"
                           + (tally.running > 0 ? ", \(tally.running) still running (next pull)" : "") + (tally.empty > 0 ? ", \(tally.empty) with nothing to measure" : "")
                           + ", \(tally.failed) failed\n")
            if tally.failed > 0 { throw ExitCode.failure }
        }

        struct Tally { var pipelines = 0, stored = 0, duplicates = 0, running = 0, empty = 0, failed = 0 }

        /// `$WOODPECKER_TOKEN`, else the first line of `file`.
        static func token(file: String?, environment: [String: String]) throws -> String {
            if let file {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw Failure("cannot read the token file \(file)") }
                guard let line = text.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }), !line.isEmpty else {
                    throw Failure("the token file \(file) is empty")
                }
                return line
            }
            guard let token = environment["WOODPECKER_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
                throw ValidationError("set $WOODPECKER_TOKEN (a personal token from https://SERVER/user) or give --token-file FILE")
            }
            return token
        }

        /// Whether the run of `step` is among `known` (the stored runs of its pipeline number): the same step name in
        /// this repository; a run with no step name (a log ingested from a file) stands for the pipeline's only
        /// chosen step.
        static func isStored(_ step: Woodpecker.Step, of chosen: [Woodpecker.Step], repo: String, among known: [Run]) -> Bool {
            let dashed = repo.replacingOccurrences(of: "/", with: "-")
            return known.contains { run in
                let sameRepo = run.metadata.repo == nil || run.metadata.repo == repo || run.metadata.repo == dashed
                return sameRepo && (run.metadata.step == step.name || (run.metadata.step == nil && chosen.count == 1))
            }
        }
    }
}

/// `--since`: a pipeline number, or a time the pipelines were created from.
enum PullSince: ExpressibleByArgument {
    case number(Int)
    case created(Date)

    init?(argument: String) {
        if let number = Int(argument) {
            self = .number(number)
        } else if let date = DurationFormat.parseDate(argument) {
            self = .created(date)
        } else {
            return nil
        }
    }
}

/// Which pipelines and steps a pull takes.
struct PullSelection {
    var steps: [String]
    var since: PullSince?

    /// Pipelines come newest first: the first one before `--since` ends the walk.
    func takes(_ pipeline: Woodpecker.Pipeline) -> Bool {
        switch since {
        case .number(let number): pipeline.number >= number
        case .created(let date): pipeline.created.map { $0 >= date } ?? true
        case nil: true
        }
    }

    func chooses(_ step: Woodpecker.Step) -> Bool {
        steps.isEmpty ? step.holdsWork : steps.contains(step.name)
    }
}

/// Woodpecker's API over AsyncHTTPClient: a bearer token, timeouts on connecting and on each answer, errors a user
/// can act on.
final class WoodpeckerClient: Sendable {
    static let perPage = 50
    static let inFlight = 4

    let base: URL
    let token: String
    let timeout: Double
    private let client: HTTPClient

    init(base: URL, token: String, timeout: Double) {
        self.base = base
        self.token = token
        self.timeout = timeout
        client = HTTPExchange.client(timeout: timeout)
    }

    func shutdown() { try? client.syncShutdown() }

    func version() async throws -> Woodpecker.Version { try await get("version", authorized: false) }

    func repo(_ fullName: String) async throws -> Woodpecker.Repo {
        do {
            return try await get("api/repos/lookup/\(fullName)")
        } catch let error as APIError where error.status == 404 {
            throw Failure("no repository \(fullName) on \(base.absoluteString) (404): check --repo, and that the token's user can see it")
        }
    }

    func pipelines(repo: Int64, page: Int) async throws -> [Woodpecker.Pipeline] {
        try await get("api/repos/\(repo)/pipelines", query: "page=\(page)&perPage=\(Self.perPage)")
    }

    func pipeline(repo: Int64, number: Int) async throws -> Woodpecker.Pipeline {
        try await get("api/repos/\(repo)/pipelines/\(number)")
    }

    /// A step's log as the server sends it: the JSON array of entries that `ingest` reads.
    func log(repo: Int64, number: Int, step: Int64) async throws -> [UInt8] {
        try await bytes("api/repos/\(repo)/logs/\(number)/\(step)")
    }

    /// `work` on each item, at most `inFlight` at once, each one's result or error in the items' order.
    func concurrentlyCatching<Item: Sendable, Value: Sendable>(_ items: [Item], _ work: @escaping @Sendable (Item) async throws -> Value) async -> [Result<Value, any Error>] {
        await withTaskGroup(of: (Int, Result<Value, any Error>).self) { group in
            var results = [Result<Value, any Error>?](repeating: nil, count: items.count)
            var next = 0
            func start() {
                guard next < items.count else { return }
                let (index, item) = (next, items[next])
                next += 1
                group.addTask {
                    do { return (index, .success(try await work(item))) } catch { return (index, .failure(error)) }
                }
            }
            for _ in 0..<Self.inFlight { start() }
            while let (index, result) = await group.next() {
                results[index] = result
                start()
            }
            return results.map { $0! }
        }
    }

    private func get<T: Decodable>(_ path: String, query: String? = nil, authorized: Bool = true) async throws -> T {
        let body = try await bytes(path, query: query, authorized: authorized)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw Failure("\(url(path, query)): the server's answer is not the JSON Woodpecker sends (\(Self.reason(error)))")
        }
    }

    private func url(_ path: String, _ query: String? = nil) -> String {
        var text = base.absoluteString
        if !text.hasSuffix("/") { text += "/" }
        return text + path + (query.map { "?" + $0 } ?? "")
    }

    private func bytes(_ path: String, query: String? = nil, authorized: Bool = true) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url(path, query))
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "buildtime/\(BuildtimeVersion.current)")
        if authorized { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: HTTPExchange.timeAmount(timeout))
        } catch {
            throw Failure("\(url(path, query)): \(Self.describe(error, server: base))")
        }
        switch response.status.code {
        case 200..<300: break
        case 401: throw Failure("\(base.absoluteString) refused the token (401): set $WOODPECKER_TOKEN to a personal token from \(url("user"))")
        case 403: throw Failure("\(base.absoluteString) refused access (403): the token's user needs pull access to the repository")
        default: throw APIError(status: Int(response.status.code), url: url(path, query))
        }
        do {
            // A log of a long step is megabytes; no answer of Woodpecker's is near 1 GB.
            var body = try await response.body.collect(upTo: 1 << 30)
            return body.readBytes(length: body.readableBytes) ?? []
        } catch {
            throw Failure("\(url(path, query)): \(Self.describe(error, server: base))")
        }
    }

    /// An answer that is not a success, and not about the token.
    struct APIError: Error, CustomStringConvertible {
        var status: Int
        var url: String
        var description: String {
            status == 404 ? "\(url): not found (404)" : "\(url): the server answered \(status)" + (status >= 500 ? " (its fault; try again later)" : "")
        }
    }

    /// What went wrong, in words.
    static func describe(_ error: any Error, server: URL) -> String {
        switch error {
        case let failure as Failure: return failure.description
        case let api as APIError: return api.description
        default: return HTTPExchange.describe(error, peer: server)
        }
    }

    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context): return context.debugDescription
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        default: return String(describing: error)
        }
    }
}
