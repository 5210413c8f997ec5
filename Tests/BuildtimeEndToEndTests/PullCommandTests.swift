import Foundation
import GRDB
import Testing

/// `buildtime pull` as a user runs it, against a Woodpecker-shaped server on loopback (Tests/receivers/
/// woodpecker_server.py) that serves the sample history as 64 pipelines, with the JSON shapes of 3.x or 2.8.
@Suite(.enabled(if: WoodpeckerServer.available, "python3 is not installed"))
struct PullCommandTests {
    static let repo = ["--repo", "acme/trading-dashboard"]
    static let token = ["WOODPECKER_TOKEN": "secret-token"]

    static func pull(_ runner: BinaryRunner, _ server: WoodpeckerServer, _ extra: [String] = [], environment: [String: String] = token) throws -> BinaryRunner.Result {
        try runner.run(["pull", "--server", server.base] + repo + extra, environment: environment)
    }

    @Test func pullStoresTheSampleHistoryWithItsMetadataAndTheReportOfTheFiles() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let server = try WoodpeckerServer(in: runner.directory)
        defer { server.stop() }
        let first = try Self.pull(runner, server)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.hasSuffix("acme/trading-dashboard (Woodpecker 3.8.0): 64 pipelines read; 64 runs stored, 0 already present, 0 failed\n"), "\(first.stderr)")
        #expect(first.stdout.split(separator: "\n").count == 64)
        // Two pages (50 a page), never more than four requests at once.
        let requests = try server.requests()
        #expect(requests.paths.contains("/api/repos/7/pipelines?page=2&perPage=50"))
        #expect(requests.mostInFlight <= 4 && requests.mostInFlight > 1)

        // Each run has its pipeline's number, commit, step, event, author and times, and its queue time as a metric.
        let rows = try DatabaseQueue(path: runner.database.path).read { db in
            try Row.fetchAll(db, sql: "SELECT pipeline_number, commit_sha, branch, repo, step_name, context FROM run ORDER BY pipeline_number")
        }
        #expect(rows.map { $0["pipeline_number"] as Int } == Array(200...263))
        let commits: [String?] = rows.map { $0["commit_sha"] }, repos: [String?] = rows.map { $0["repo"] }, steps: [String?] = rows.map { $0["step_name"] }
        #expect(commits.allSatisfy { $0?.count == 40 })
        #expect(Set(repos) == ["acme/trading-dashboard"] && Set(steps) == ["deploy"])
        let show = try runner.run(["show", "latest"])
        #expect(show.stdout.contains("  pipeline  #263\n") && show.stdout.contains("  event     push by dana\n"))
        // The server created #263 5 + 263 * 7 % 40 = 6 s before it started.
        #expect(show.stdout.contains("  queued    6.0s before the pipeline started"), "\(show.stdout)")
        let queues = try DatabaseQueue(path: runner.database.path).read { db in
            try Double.fetchAll(db, sql: "SELECT value FROM metric WHERE name = 'queue' ORDER BY at")
        }
        let planted: [Double] = (200...263).map { number in Double(5 + number * 7 % 40) }
        #expect(queues == planted)

        // The same report as the files ingested by hand; the run ids apart (a pull stores each page oldest first, the
        // pages newest first), which only the Markdown table shows.
        let files = try BinaryRunner()
        defer { files.cleanUp() }
        #expect(try files.run(["ingest"] + ReportCommandTests.logs()).status == 0)
        let withoutIDs = { (text: String) in text.replacing(#/\n\| \d+ \| #/#, with: "\n| #") }
        for format in [["--last", "64"], ["--last", "64", "--format", "markdown"]] {
            let pulled = try runner.run(["report"] + format), ingested = try files.run(["report"] + format)
            #expect(pulled.status == 0 && withoutIDs(pulled.stdout) == withoutIDs(ingested.stdout))
            #expect(pulled.stdout.contains("regression"))
        }

        // Again: the newest pipeline is stored, so nothing more is read than the repository, a page and four pipelines.
        let before = try server.requests().paths.count
        let second = try Self.pull(runner, server)
        #expect(second.status == 0 && second.stdout.isEmpty)
        #expect(second.stderr.hasSuffix("1 pipeline read; 0 runs stored, 1 already present, 0 failed\n"), "\(second.stderr)")
        #expect(try server.requests().paths.count - before <= 6)
        // --all reads every page and stores nothing twice.
        let all = try Self.pull(runner, server, ["--all"])
        #expect(all.status == 0 && all.stderr.hasSuffix("64 pipelines read; 0 runs stored, 64 already present, 0 failed\n"), "\(all.stderr)")
    }

    @Test func newPipelinesAreAddedAndARunningStepIsPickedUpNextTime() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let server = try WoodpeckerServer(in: runner.directory)
        defer { server.stop() }
        // 60 pipelines so far, the newest (#259) still running.
        try server.control("visible=60&running=259")
        let first = try Self.pull(runner, server)
        #expect(first.status == 0)
        #expect(first.stderr.hasSuffix("60 pipelines read; 59 runs stored, 0 already present, 1 still running (next pull), 0 failed\n"), "\(first.stderr)")
        // #259 finished, and four more came.
        try server.control("visible=64&running=")
        let second = try Self.pull(runner, server)
        #expect(second.status == 0)
        #expect(second.stderr.hasSuffix("6 pipelines read; 5 runs stored, 1 already present, 0 failed\n"), "\(second.stderr)")
        #expect(second.stdout.contains("pipeline #259 step deploy") && second.stdout.contains("pipeline #263 step deploy"))
        #expect(try runner.run(["runs", "--limit", "100"]).stdout.split(separator: "\n").count == 65)
        // --since takes only pipelines from that number on.
        let since = try BinaryRunner()
        defer { since.cleanUp() }
        let some = try Self.pull(since, server, ["--since", "250"])
        #expect(some.stderr.hasSuffix("14 pipelines read; 14 runs stored, 0 already present, 0 failed\n"), "\(some.stderr)")
        // Or those created from a time on: #259 (11-15 02:16) to #263.
        let recent = try BinaryRunner()
        defer { recent.cleanUp() }
        let dated = try Self.pull(recent, server, ["--since", "2026-11-15T00:00:00Z"])
        #expect(dated.stderr.hasSuffix("5 pipelines read; 5 runs stored, 0 already present, 0 failed\n"), "\(dated.stderr)")
        #expect(try Self.pull(recent, server, ["--since", "yesterday"]).status == 64)
    }

    @Test func woodpecker2xFieldNamesReadTheSame() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let server = try WoodpeckerServer(in: runner.directory, arguments: ["--api", "2"])
        defer { server.stop() }
        let result = try Self.pull(runner, server)
        #expect(result.status == 0)
        #expect(result.stderr.hasSuffix("acme/trading-dashboard (Woodpecker 2.8.3): 64 pipelines read; 64 runs stored, 0 already present, 0 failed\n"), "\(result.stderr)")
        let show = try runner.run(["show", "latest"])
        #expect(show.stdout.contains("  queued    6.0s before the pipeline started"), "\(show.stdout)")
        #expect(show.stdout.contains("  started   2026-11-16 12:36Z"))
    }

    @Test func logsIngestedFromFilesAreRecognised() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["ingest"] + ReportCommandTests.logs()).status == 0)
        let server = try WoodpeckerServer(in: runner.directory)
        defer { server.stop() }
        let result = try Self.pull(runner, server, ["--all"])
        #expect(result.status == 0)
        #expect(result.stderr.hasSuffix("64 pipelines read; 0 runs stored, 64 already present, 0 failed\n"), "\(result.stderr)")
    }

    /// Unstamped lines, as most steps print them: the entries' seconds time the log, the API's start dates it.
    @Test func aLogWithoutStampsIsTimedByItsEntries() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let server = try WoodpeckerServer(in: runner.directory, arguments: ["--bare"])
        defer { server.stop() }
        #expect(try Self.pull(runner, server, ["--since", "263"]).status == 0)
        let show = try runner.run(["show", "latest"])
        #expect(show.stdout.contains("  started   2026-11-16 12:36Z") && show.stdout.contains("  precision timestamps to 1.0s"), "\(show.stdout)")
        #expect(show.stdout.contains("class     no-change"))
    }

    @Test func errorsAUserCanActOn() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let server = try WoodpeckerServer(in: runner.directory)
        defer { server.stop() }
        let wrong = try Self.pull(runner, server, environment: ["WOODPECKER_TOKEN": "stale"])
        #expect(wrong.status == 1 && wrong.stderr.contains("refused the token (401): set $WOODPECKER_TOKEN to a personal token from \(server.base)/user"), "\(wrong.stderr)")
        let forbidden = try Self.pull(runner, server, environment: ["WOODPECKER_TOKEN": "forbidden"])
        #expect(forbidden.status == 1 && forbidden.stderr.contains("refused access (403)"))
        let missing = try runner.run(["pull", "--server", server.base, "--repo", "acme/nope"], environment: Self.token)
        #expect(missing.status == 1 && missing.stderr.contains("no repository acme/nope on \(server.base) (404)"), "\(missing.stderr)")
        let tokenFile = try runner.write("token", "secret-token\n")
        // A 5xx on one log: that step is said, the others are stored, the exit status is 1.
        try server.control("fail=230")
        let failing = try Self.pull(runner, server, ["--token-file", tokenFile], environment: ["WOODPECKER_TOKEN": ""])
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("pipeline #230 step deploy: \(server.base)/api/repos/7/logs/230/2302: the server answered 500"), "\(failing.stderr)")
        #expect(failing.stderr.hasSuffix("64 pipelines read; 63 runs stored, 0 already present, 1 failed\n"), "\(failing.stderr)")
        // Once the server is well, the next pull with --all adds the missing one.
        try server.control("fail=")
        #expect(try Self.pull(runner, server, ["--all"]).stderr.hasSuffix("1 run stored, 63 already present, 0 failed\n"))

        let fresh = try BinaryRunner()
        defer { fresh.cleanUp() }
        try server.control("malformed=pipelines")
        let malformed = try Self.pull(fresh, server)
        #expect(malformed.status == 1 && malformed.stderr.contains("the server's answer is not the JSON Woodpecker sends"), "\(malformed.stderr)")
        // A server that accepts and never answers: the timeout ends it.
        try server.control("malformed=&hang=pipelines")
        let started = Date()
        let hung = try Self.pull(fresh, server, ["--timeout", "1"])
        #expect(hung.status == 1 && hung.stderr.contains("did not answer in time"), "\(hung.stderr)")
        #expect(Date().timeIntervalSince(started) < 15)
        try server.control("hang=")
        let refused = try runner.run(["pull", "--server", "http://127.0.0.1:1"] + Self.repo, environment: Self.token)
        #expect(refused.status == 1 && refused.stderr.contains("refused the connection"), "\(refused.stderr)")
        #expect(try runner.run(["pull", "--server", server.base] + Self.repo, environment: ["WOODPECKER_TOKEN": ""]).status == 64)
        #expect(try runner.run(["pull", "--server", "ftp://x"] + Self.repo, environment: Self.token).status == 64)
        #expect(try runner.run(["pull", "--server", server.base, "--repo", "nope"], environment: Self.token).status == 64)
        #expect(try fresh.run(["runs"]).stdout.split(separator: "\n").count <= 1)
    }
}

/// Tests/receivers/woodpecker_server.py, serving the sample history, started on a free loopback port.
final class WoodpeckerServer {
    static let script = BinaryRunner.repositoryRoot.appending(path: "Tests/receivers/woodpecker_server.py")

    static let available = LoopbackScript.pythonRuns("import http.server")

    let process = Process()
    let base: String

    init(in directory: URL, arguments: [String] = []) throws {
        let samples = BinaryRunner.repositoryRoot.appending(path: "samples/history").path
        base = try LoopbackScript.start(process, script: Self.script, arguments: ["--samples", samples] + arguments, in: directory)
    }

    /// Changes what the server does (see its docstring).
    func control(_ query: String) throws {
        _ = try Data(contentsOf: URL(string: "\(base)/_control?\(query)")!)
    }

    /// The API requests it answered, and the most it held at once.
    func requests() throws -> (paths: [String], mostInFlight: Int) {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(string: "\(base)/_requests")!)) as! [String: Any]
        return (object["paths"] as! [String], object["most_in_flight"] as! Int)
    }

    /// SIGKILL: a child of the test process may inherit a mask that holds SIGTERM back.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
