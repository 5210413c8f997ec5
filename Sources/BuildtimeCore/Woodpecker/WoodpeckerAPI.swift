import Foundation

/// The parts of Woodpecker's REST API that `pull` reads (woodpecker-ci/woodpecker `server/model`), as both 2.x and
/// 3.x write them: 3.0 renamed the pipeline's `created_at`, `started_at`, `finished_at` to `created`, `started`,
/// `finished`, and the workflow's and step's `start_time`, `end_time` to `started`, `finished` (PR #3968). Times are
/// unix seconds, 0 for not yet.
public enum Woodpecker {
    /// `GET /version`.
    public struct Version: Decodable, Sendable, Equatable {
        public var source: String?
        public var version: String

        /// The first number of the version (`3` of `3.8.0`, `2` of `v2.8.3`); nil for a development build (`next-…`).
        public var major: Int? {
            Int(version.drop { $0 == "v" }.prefix { $0.isNumber })
        }
    }

    /// `GET /api/repos/lookup/{owner}/{name}`.
    public struct Repo: Decodable, Sendable, Equatable {
        public var id: Int64
        public var fullName: String

        enum CodingKeys: String, CodingKey { case id, fullName = "full_name" }
    }

    /// A pipeline: from the list (without workflows) or on its own (with them).
    public struct Pipeline: Decodable, Sendable, Equatable {
        public var id: Int64?
        public var number: Int
        public var event: String?
        public var status: String
        public var created: Date?
        public var started: Date?
        public var finished: Date?
        public var commit: String?
        public var branch: String?
        public var ref: String?
        public var author: String?
        /// Omitted by the server when empty; nil here too.
        public var changedFiles: [String]?
        public var workflows: [Workflow]?

        public init(from decoder: any Decoder) throws {
            let keys = try decoder.container(keyedBy: AnyKey.self)
            id = try keys.decodeIfPresent(Int64.self, forKey: "id")
            number = try keys.decode(Int.self, forKey: "number")
            event = try keys.text("event")
            status = try keys.text("status") ?? "unknown"
            created = try keys.time("created", "created_at")
            started = try keys.time("started", "started_at")
            finished = try keys.time("finished", "finished_at")
            commit = try keys.text("commit")
            branch = try keys.text("branch")
            ref = try keys.text("ref")
            author = try keys.text("author")
            changedFiles = try keys.decodeIfPresent([String].self, forKey: "changed_files").flatMap { $0.isEmpty ? nil : $0 }
            workflows = try keys.decodeIfPresent([Workflow].self, forKey: "workflows")
        }

        /// Every step of every workflow, in order.
        public var steps: [Step] { (workflows ?? []).flatMap { $0.children ?? [] } }

        /// Done: neither waiting nor running (a finished pipeline's steps are all done too).
        public var isDone: Bool { Woodpecker.isDone(status) }
    }

    public struct Workflow: Decodable, Sendable, Equatable {
        public var id: Int64?
        public var pid: Int?
        public var name: String?
        public var state: String
        public var started: Date?
        public var finished: Date?
        public var children: [Step]?

        public init(from decoder: any Decoder) throws {
            let keys = try decoder.container(keyedBy: AnyKey.self)
            id = try keys.decodeIfPresent(Int64.self, forKey: "id")
            pid = try keys.decodeIfPresent(Int.self, forKey: "pid")
            name = try keys.text("name")
            state = try keys.text("state") ?? "unknown"
            started = try keys.time("started", "start_time")
            finished = try keys.time("finished", "end_time")
            children = try keys.decodeIfPresent([Step].self, forKey: "children")
        }
    }

    public struct Step: Decodable, Sendable, Equatable {
        /// The id the log is fetched by (`/logs/{number}/{id}`), not the `pid` shown in the web UI.
        public var id: Int64
        public var pid: Int?
        public var name: String
        public var state: String
        public var exitCode: Int?
        public var started: Date?
        public var finished: Date?
        /// `clone`, `service`, `plugin`, `commands`, `cache`.
        public var type: String?

        public init(from decoder: any Decoder) throws {
            let keys = try decoder.container(keyedBy: AnyKey.self)
            id = try keys.decode(Int64.self, forKey: "id")
            pid = try keys.decodeIfPresent(Int.self, forKey: "pid")
            name = try keys.text("name") ?? "step \(id)"
            state = try keys.text("state") ?? "unknown"
            exitCode = try keys.decodeIfPresent(Int.self, forKey: "exit_code")
            started = try keys.time("started", "start_time")
            finished = try keys.time("finished", "end_time")
            type = try keys.text("type")
        }

        public var isDone: Bool { Woodpecker.isDone(state) }

        /// A step whose log holds the work: commands and plugins, not the clone, a service or the cache.
        public var holdsWork: Bool {
            guard let type else { return name != "clone" }
            return type == "commands" || type == "plugin"
        }
    }

    /// Neither waiting nor running: `pending`, `running`, `created`, `blocked` (awaiting approval) are not done.
    static func isDone(_ state: String) -> Bool {
        !["pending", "running", "created", "blocked"].contains(state)
    }

    /// A state whose step ran and left a log worth reading (a skipped or declined step has none).
    public static func ran(_ state: String) -> Bool {
        ["success", "failure", "killed", "error", "canceled"].contains(state)
    }

    /// The context of one step's run as Woodpecker's API gives it: the event, the author, the changed files and the
    /// times. The API's values win over what the log says.
    public static func context(of pipeline: Pipeline, step: Step) -> RunContext {
        var context = RunContext(event: pipeline.event)
        context.author = pipeline.author
        if let files = pipeline.changedFiles { (context.changedFiles, context.changedFilesSource) = (files, "woodpecker") }
        context.times = CITimes(pipelineCreated: pipeline.created, pipelineStarted: pipeline.started, pipelineFinished: pipeline.finished,
                                stepStarted: step.started, stepFinished: step.finished)
        return context
    }

    /// The metadata of one step's run, `repo` being the repository's full name.
    public static func metadata(of pipeline: Pipeline, step: Step, repo: String) -> RunMetadata {
        let workflow = pipeline.workflows?.first { $0.children?.contains(step) == true }
        return RunMetadata(pipelineNumber: pipeline.number, commit: pipeline.commit, branch: pipeline.branch, repo: repo, step: step.name,
                           workflow: workflow?.name)
    }
}

/// Any key: Woodpecker's field names differ between versions.
struct AnyKey: CodingKey, ExpressibleByStringLiteral {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
    init(stringLiteral value: String) { stringValue = value }
}

extension KeyedDecodingContainer where Key == AnyKey {
    /// A string, nil when absent, null or empty.
    func text(_ key: AnyKey) throws -> String? {
        try decodeIfPresent(String.self, forKey: key).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Unix seconds under the first of `keys` present; nil for 0 (not yet) or absent.
    func time(_ keys: AnyKey...) throws -> Date? {
        for key in keys where contains(key) {
            guard let seconds = try decodeIfPresent(Double.self, forKey: key) else { return nil }
            return seconds > 0 && seconds.isFinite ? Date(timeIntervalSince1970: seconds) : nil
        }
        return nil
    }
}
