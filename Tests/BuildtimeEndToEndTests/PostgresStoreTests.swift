import BuildtimeCore
import BuildtimePostgres
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// A database of its own for one test, in the PostgreSQL server that `BUILDTIME_TEST_POSTGRES` names (`.ci/run`
/// starts a throwaway cluster and sets it), made and dropped with `psql`.
struct TestPostgres {
    static let server = ProcessInfo.processInfo.environment["BUILDTIME_TEST_POSTGRES"]
    /// Whether the server answers (checked once).
    static let isAvailable: Bool = server.map { (try? psql($0, "SELECT 1").status) == 0 } ?? false
    static let skipReason = "no PostgreSQL server to test against (BUILDTIME_TEST_POSTGRES is not set or does not answer; .ci/run starts one)"

    let name: String
    /// The new database's URL.
    let url: String

    init() throws {
        let server = try #require(Self.server)
        name = "buildtime_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let created = try Self.psql(server, "CREATE DATABASE \(name)")
        try #require(created.status == 0, "\(created.output)")
        url = PostgresLocation.uri(server, database: name)
    }

    func drop() { _ = try? Self.psql(Self.server!, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }

    /// Runs one SQL command with `psql` against `url`.
    static func psql(_ url: String, _ command: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

/// The conformance of the two stores: every command reads the same from a PostgreSQL database as from a SQLite file
/// holding the same runs.
@Suite(.enabled(if: TestPostgres.isAvailable, Comment(rawValue: TestPostgres.skipReason)), .serialized)
struct PostgresStoreTests {
    enum Store: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgresql
        var testDescription: String { rawValue }
    }

    /// The samples and the sample history, ingested into each store, and what the commands print about them.
    final class Fixture: Sendable {
        let outputs: [Store: [String: String]]

        init() throws {
            var outputs: [Store: [String: String]] = [:]
            let samples = try FileManager.default.contentsOfDirectory(atPath: BinaryRunner.repositoryRoot.appending(path: "samples/logs").path)
                .filter { $0.hasSuffix(".log") || $0.hasSuffix(".json") }.sorted()
                .map { BinaryRunner.repositoryRoot.appending(path: "samples/logs/\($0)").path }
            for store in Store.allCases {
                let runner = try BinaryRunner()
                defer { runner.cleanUp() }
                let database = store == .postgresql ? try TestPostgres() : nil
                defer { database?.drop() }
                let environment = database.map { ["BUILDTIME_DB": $0.url] } ?? [:]
                let ingested = try runner.run(["ingest"] + samples + ReportCommandTests.logs(), environment: environment)
                try #require(ingested.status == 0, "\(store): \(ingested.stderr)")
                var printed: [String: String] = [:]
                for (name, arguments) in Self.commands {
                    let result = try runner.run(arguments, environment: environment)
                    try #require(result.status == 0 || name.hasPrefix("gate"), "\(store) \(arguments): \(result.stderr)")
                    printed[name] = Self.normalized(result.stdout) + "\nexit \(result.status)"
                }
                outputs[store] = printed
            }
            self.outputs = outputs
        }

        static let commands: [(String, [String])] = [
            ("runs", ["runs", "--limit", "1000"]),
            ("runs json", ["runs", "--limit", "1000", "--format", "json"]),
            ("show latest", ["show", "latest"]),
            ("show pipeline", ["show", "#240"]),
            ("show json", ["show", "#226", "--format", "json"]),
            ("report", ["report", "--last", "64"]),
            ("report json", ["report", "--last", "64", "--format", "json"]),
            ("report history", ["report", "--history", "100000", "--format", "json"]),
            ("report markdown", ["report", "--format", "markdown"]),
            ("gate", ["report", "--fail-on-regression", "--last", "1"]),
        ]

        /// The output without what differs between any two databases: run ids, the time the report was made and the
        /// time each run was stored (the two ingests can fall in different minutes), in JSON and in text.
        static func normalized(_ text: String) -> String {
            var text = text
            for pattern in [#""id" : \d+"#, #""(generatedAt|recordedAt)" : "[^"]*""#, #"\brun \d+\b"#, #"^\s*\d+\s"#,
                            #"(?m)^(\s*stored\s+)\S.*$"#] {
                text = text.replacingOccurrences(of: pattern, with: "<id>", options: .regularExpression)
            }
            return text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.replacingOccurrences(of: #"^ *\d+ "#, with: "<id> ", options: .regularExpression) }.joined(separator: "\n")
        }
    }

    static let fixture = Result { try Fixture() }

    @Test(arguments: Fixture.commands.map(\.0))
    func eachCommandReadsTheSameFromBothStores(command: String) throws {
        let fixture = try Self.fixture.get()
        let sqlite = try #require(fixture.outputs[.sqlite]?[command])
        let postgres = try #require(fixture.outputs[.postgresql]?[command])
        #expect(!sqlite.isEmpty)
        if sqlite != postgres {
            let a = sqlite.split(separator: "\n", omittingEmptySubsequences: false), b = postgres.split(separator: "\n", omittingEmptySubsequences: false)
            let first = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            Issue.record("\(command): line \(first + 1) differs:\n  sqlite:     \(first < a.count ? a[first] : "<end>")\n  postgresql: \(first < b.count ? b[first] : "<end>")")
        }
    }

    /// A new, empty store of that kind, and what removes it.
    static func emptyStore(_ kind: Store) throws -> (any RunStore, () -> Void) {
        if kind == .postgresql {
            let database = try TestPostgres()
            return (try PostgresStore(location: PostgresLocation(uri: database.url)), { database.drop() })
        }
        let folder = FileManager.default.temporaryDirectory.appending(path: "buildtime-store-\(UUID().uuidString)")
        return (try SQLiteStore(path: folder.appending(path: "db.sqlite").path), { try? FileManager.default.removeItem(at: folder) })
    }

    /// A run of a step of a pipeline, from other bytes for each `bytes`.
    static func keyed(_ bytes: String, repo: String? = "team/app", pipeline: Int? = 42, workflow: String? = "build", step: String? = "deploy") -> Run {
        Run(fingerprint: bytes, source: bytes + ".log", format: .text, metadata: RunMetadata(pipelineNumber: pipeline, repo: repo, step: step, workflow: workflow),
            startedAt: nil, status: .succeeded, totalSeconds: 10, lineCount: 1, timeResolution: nil, phases: [], recordedAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    /// A database written before migration 0002 may hold one step twice: both runs stay, the first stored takes the
    /// key, and a new copy of that step is the first's duplicate.
    @Test func aDatabaseFromBeforeTheTeamKeyKeepsItsRunsAndTheFirstTakesTheKey() throws {
        let database = try TestPostgres()
        defer { database.drop() }
        let before = try PostgresStore(location: PostgresLocation(uri: database.url))
        guard case .inserted(let first) = try before.save(Self.keyed("recorded", workflow: nil)) else { Issue.record("not stored"); return }
        let stored = try #require(try before.run(id: first))
        let old = try TestPostgres.psql(database.url, """
            DROP INDEX run_by_team_key; ALTER TABLE run DROP COLUMN team_key; ALTER TABLE run DROP COLUMN workflow;
            DELETE FROM buildtime_migration WHERE name = '0002_team_key';
            INSERT INTO run (fingerprint, source, format, pipeline_number, repo, step_name, status, line_count, recorded_at, metrics_written)
            SELECT 'pulled', source, format, pipeline_number, repo, step_name, status, line_count, recorded_at, metrics_written FROM run;
            """)
        try #require(old.status == 0, "\(old.output)")
        let store = try PostgresStore(location: PostgresLocation(uri: database.url))
        #expect(try store.appliedMigrations().contains("0002_team_key"))
        #expect(try store.runs(limit: nil).count == 2)
        #expect(try store.run(id: first) == stored)
        #expect(try store.runs(fingerprintPrefix: "pulled").first?.metadata == stored.metadata)
        #expect(try store.save(Self.keyed("pulled once more", workflow: nil)) == .duplicate(id: first))
        #expect(try store.save(Self.keyed("in another workflow", workflow: "test")) != .duplicate(id: first))
    }

    /// The report reads each run's alerting metrics from the text beside it (migration 0003, which writes it for the
    /// runs stored before), or from the metric table for a run an older version stored after it: the same points.
    @Test func pointsReadTheSameFromTheTextBesideARunAndFromTheMetricTable() throws {
        let database = try TestPostgres()
        defer { database.drop() }
        let store = try PostgresStore(location: PostgresLocation(uri: database.url))
        for file in try ReportCommandTests.logs() { _ = try Ingester(configuration: .default).ingest(path: file, into: store) }
        let points = try store.points(limit: nil)
        #expect(points.count == 64)
        #expect(points.filter { $0.metrics[Metric("total")] != nil && $0.metrics.count > 1 }.count > 60, "\(points.map(\.metrics.count))")
        let unwritten = try TestPostgres.psql(database.url, "SELECT 'unwritten ' || count(*) FROM run WHERE alerting IS NULL OR alerting = ''")
        #expect(unwritten.output.contains("unwritten 0"), "\(unwritten.output)")
        // A database from before 0003.
        let old = try TestPostgres.psql(database.url, "ALTER TABLE run DROP COLUMN alerting; DELETE FROM buildtime_migration WHERE name = '0003_alerting_text';")
        try #require(old.status == 0, "\(old.output)")
        let reopened = try PostgresStore(location: PostgresLocation(uri: database.url))
        #expect(try reopened.appliedMigrations().contains("0003_alerting_text"))
        #expect(try reopened.points(limit: nil) == points)
        // Runs stored by a version before 0003 into a database after it.
        let older = try TestPostgres.psql(database.url, "UPDATE run SET alerting = NULL WHERE id IN (SELECT id FROM run ORDER BY id LIMIT 10)")
        try #require(older.status == 0, "\(older.output)")
        #expect(try reopened.points(limit: nil) == points)
        #expect(try reopened.points(limit: 5, repo: points.last?.repo).map(\.id) == points.suffix(5).map(\.id))
    }

    /// The same behaviour from the store itself, whichever it is.
    @Test(arguments: Store.allCases)
    func aStoreKeepsARunOnceAndDeletesItWithEverythingOfIt(store kind: Store) throws {
        let (store, cleanUp) = try Self.emptyStore(kind)
        defer { cleanUp() }
        // A cold run of the team's pipeline, timed: it has images, phases and metrics.
        let file = try #require(try ReportCommandTests.logs().first)
        let (run, outcome, _) = try Ingester(configuration: .default).ingest(path: file, into: store)
        guard case .inserted(let id) = outcome else { Issue.record("\(kind): not inserted: \(outcome)"); return }
        let (_, again, _) = try Ingester(configuration: .default).ingest(path: file, into: store)
        #expect(again == .duplicate(id: id))

        let read = try #require(try store.run(id: id))
        #expect(read.fingerprint == run.fingerprint && read.images == run.images && read.phases == run.phases && read.classification == run.classification)
        #expect(try store.points(limit: nil).map(\.id) == [id])
        #expect(try store.points(limit: nil).first?.metrics[Metric("total")] == run.totalSeconds)
        #expect(!run.images.isEmpty && run.totalSeconds != nil)
        #expect(try store.runs(fingerprintPrefix: String(run.fingerprint.prefix(8))).map(\.id) == [id])

        let step = RecordedStep(runKey: "key-1", name: "deploy", startedAt: Date(timeIntervalSince1970: 1_700_000_000), duration: 12.5,
                                status: .succeeded, exitCode: 0, lineCount: 3, images: [])
        try store.save(step)
        #expect(try store.steps(runKey: "key-1") == [step])

        try store.markExported(runIDs: [id, 999_999], target: "otlp test", at: Date())
        #expect(try store.exported(runIDs: [id, 999_999], target: "otlp test") == [id])
        #expect(try store.exported(runIDs: [id], target: "other") == [])

        #expect(try store.delete(runIDs: [id, id, 999_999]) == [id])
        #expect(try store.run(id: id) == nil)
        #expect(try store.points(limit: nil).isEmpty)
        #expect(try store.exported(runIDs: [id], target: "otlp test") == [])
    }

    /// One repository's runs and points are counted among its own: the newest runs of another do not take the places.
    @Test(arguments: Store.allCases)
    func aRepositorysRunsAndPointsAreItsOwnNewest(store kind: Store) throws {
        let (store, cleanUp) = try Self.emptyStore(kind)
        defer { cleanUp() }
        var runs: [Run] = []
        for index in 0..<10 {
            var run = Self.keyed("run \(index)", repo: index < 4 ? "team/app" : "team/web", pipeline: index)
            run.startedAt = Date(timeIntervalSince1970: 1_700_000_000 + Double(index) * 60)
            runs.append(run)
        }
        _ = try store.save(runs)
        let app = try store.points(limit: 3, repo: "team/app")
        #expect(app.map(\.pipeline) == [1, 2, 3], "the newest 3 of team/app, oldest first")
        #expect(app.allSatisfy { $0.metrics[Metric("total")] == 10 })
        #expect(try store.points(limit: nil, repo: "team/app").count == 4)
        #expect(try store.points(limit: 3, repo: nil).map(\.pipeline) == [7, 8, 9])
        #expect(try store.points(limit: nil, repo: "team/none").isEmpty)
        // Listed a page at a time, newest first.
        var listed: [Int?] = []
        try store.forEachPage(limit: 3, pageSize: 2, repo: "team/app") { listed += $0.map(\.metadata.pipelineNumber) }
        #expect(listed == [3, 2, 1])
        // Only their rows and phases, the same runs.
        var phases: [Run] = []
        try store.forEachPage(limit: 3, pageSize: 2, repo: "team/app", parts: .phases) { phases += $0 }
        #expect(phases.map(\.metadata.pipelineNumber) == [3, 2, 1] && phases.allSatisfy { $0.images.isEmpty })
        #expect(try store.run(named: "latest", repo: "team/app").metadata.pipelineNumber == 3)
        #expect(try store.run(named: "latest").metadata.pipelineNumber == 9)
        #expect(throws: RunReferenceError.empty) { try store.run(named: "latest", repo: "team/none") }
    }

    /// Two agents storing the same step of the same pipeline (one recorded it, one pulled its log: other bytes) store it
    /// once; the same step in another workflow, another pipeline or another repository is another run.
    @Test(arguments: Store.allCases)
    func aStepOfAPipelineIsStoredOnceWhateverItsBytes(store kind: Store) throws {
        let (store, cleanUp) = try Self.emptyStore(kind)
        defer { cleanUp() }
        guard case .inserted(let first) = try store.save(Self.keyed("recorded")) else { Issue.record("\(kind): not stored"); return }
        #expect(try store.save(Self.keyed("pulled")) == .duplicate(id: first))
        #expect(try store.run(id: first)?.metadata.workflow == "build")
        // In one batch too, and beside runs that are new.
        let outcomes = try store.save([Self.keyed("pulled again"), Self.keyed("other workflow", workflow: "test"), Self.keyed("other pipeline", pipeline: 43),
                                       Self.keyed("other repo", repo: "team/web"), Self.keyed("no step", step: nil), Self.keyed("no step 2", step: nil),
                                       Self.keyed("twice in one batch", pipeline: 44), Self.keyed("twice in one batch, other bytes", pipeline: 44)])
        #expect(outcomes[0] == .duplicate(id: first))
        #expect(outcomes[1...6].allSatisfy { if case .inserted = $0 { true } else { false } }, "\(outcomes)")
        guard case .inserted(let batched) = outcomes[6] else { return }
        #expect(outcomes[7] == .duplicate(id: batched))
        #expect(try store.runs(limit: nil).count == 7)
    }

    @Test func aDatabaseWithMigrationsThisVersionDoesNotKnowIsRefusedUntouched() throws {
        let database = try TestPostgres()
        defer { database.drop() }
        let location = try PostgresLocation(uri: database.url)
        _ = try PostgresStore(location: location)
        #expect(try TestPostgres.psql(database.url, "INSERT INTO buildtime_migration VALUES ('9999_from_the_future', 0)").status == 0)
        #expect(throws: StoreError.newerSchema(path: location.redacted, unknownMigrations: ["9999_from_the_future"])) {
            try PostgresStore(location: location)
        }
        let other = try TestPostgres()
        defer { other.drop() }
        #expect(try TestPostgres.psql(other.url, "CREATE TABLE run (id int)").status == 0)
        #expect(throws: StoreError.notBuildtime(path: try PostgresLocation(uri: other.url).redacted)) {
            try PostgresStore(location: PostgresLocation(uri: other.url))
        }
    }

    /// The commands that only read leave a database without buildtime's tables as it is (a mistyped URL).
    @Test func aCommandThatOnlyReadsMakesNoTablesInAnEmptyDatabase() throws {
        let database = try TestPostgres()
        defer { database.drop() }
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let redacted = try PostgresLocation(uri: database.url).redacted
        for command in [["runs"], ["show", "latest"], ["report"]] {
            let result = try runner.run(command, environment: ["BUILDTIME_DB": database.url])
            #expect(result.status == 1 && result.stderr == "Error: no database at \(redacted) (record or ingest a run first, or give --db or BUILDTIME_DB)\n",
                    "\(command): \(result.stderr)")
        }
        let tables = try TestPostgres.psql(database.url, "SELECT 'tables ' || count(*) FROM information_schema.tables WHERE table_schema = current_schema()")
        #expect(tables.output.contains("tables 0"), "\(tables.output)")
        // A command that stores makes them.
        #expect(try runner.run(["ingest", try #require(try ReportCommandTests.logs().first)], environment: ["BUILDTIME_DB": database.url]).status == 0)
        #expect(try runner.run(["runs"], environment: ["BUILDTIME_DB": database.url]).status == 0)
    }

    @Test func agentsStartingTogetherOnANewDatabaseMigrateItOnce() throws {
        let database = try TestPostgres()
        defer { database.drop() }
        let location = try PostgresLocation(uri: database.url)
        let failures = LockedCount()
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do { _ = try PostgresStore(location: location) } catch { failures.add() }
        }
        #expect(failures.value == 0)
        #expect(try PostgresStore(location: location).appliedMigrations() == PostgresMigrations.all.map(\.name))
    }
}

/// What a command says of a PostgreSQL store that is not there: no server needed.
@Suite struct PostgresAbsentTests {
    @Test func aServerThatIsNotThereIsOneLineAtOnce() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let started = Date()
        // A port on loopback where nothing listens.
        let result = try runner.run(["runs"], environment: ["BUILDTIME_DB": "postgresql://nobody@127.0.0.1:1/none"])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: cannot open database postgresql://nobody@127.0.0.1:1/none: cannot connect: Connection refused\n", "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 5)
    }
}

/// Runs that cannot reach the team's store wait in the spool and go with the next command that reaches it.
@Suite(.enabled(if: TestPostgres.isAvailable, Comment(rawValue: TestPostgres.skipReason)), .serialized)
struct SpoolTests {
    /// A loopback port that takes connections and never answers: the kernel completes the handshake (the socket
    /// listens) but nothing reads.
    final class SilentServer {
        let socket: Int32
        let port: Int

        init() throws {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.socket = socket
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
            try #require(bound == 0 && listen(socket, 16) == 0)
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(socket) }
    }

    @Test func aDeployWhoseStoreHangsIsSpooledThenSentByTheNextRecord() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let silent = try SilentServer()
        let spool = runner.directory.appending(path: "state/spool.sqlite").path
        let hanging = "postgresql://postgres@127.0.0.1:\(silent.port)/postgres"
        let started = Date()
        let first = try runner.run(["record", "--", "sh", "-c", "echo deploying; exit 3"], environment: ["BUILDTIME_DB": hanging, "BUILDTIME_SPOOL": spool])
        let waited = Date().timeIntervalSince(started)
        #expect(first.status == 3, "the command's status, whatever the store did")
        #expect(first.stdout == "deploying\n")
        let lines = first.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("buildtime: \(hanging):"), "\(first.stderr)")
        #expect(first.stderr.hasPrefix("buildtime: \(hanging): the server did not answer in time; the run is kept in \(spool) and sent by"), "\(first.stderr)")
        // Connecting gets 2 s in all: the command, the analysis and the spool take far less than the rest.
        #expect(waited < 6, "record waited \(waited) s for a server that never answers")
        let spooled = try SQLiteStore(path: spool, mode: .existing)
        #expect(try spooled.runs(limit: nil).map(\.exitCode) == [3])

        let database = try TestPostgres()
        defer { database.drop() }
        let second = try runner.run(["record", "--", "sh", "-c", "echo again"], environment: ["BUILDTIME_DB": database.url, "BUILDTIME_SPOOL": spool])
        #expect(second.status == 0)
        #expect(second.stderr.contains("buildtime: sent 1 spooled run from \(spool)"), "\(second.stderr)")
        #expect(try spooled.runs(limit: nil).isEmpty, "sent runs leave the spool")
        let stored = try PostgresStore(location: PostgresLocation(uri: database.url)).runs(limit: nil)
        #expect(stored.map(\.exitCode).sorted { ($0 ?? 0) < ($1 ?? 0) } == [0, 3])
        // Nothing waits any more: the next command sends nothing.
        let third = try runner.run(["ingest", try #require(try ReportCommandTests.logs().first)], environment: ["BUILDTIME_DB": database.url, "BUILDTIME_SPOOL": spool])
        #expect(third.status == 0 && !third.stderr.contains("spooled"), "\(third.stderr)")
    }

    /// A nested step that could not reach the store waits in the spool without its run (the run reached the store
    /// later); it goes to the store with the next flush, under its run, and leaves the spool.
    @Test func aStepSpooledWithoutItsRunIsSentToItsRun() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let silent = try SilentServer()
        let database = try TestPostgres()
        defer { database.drop() }
        let spool = runner.directory.appending(path: "state/spool.sqlite").path
        let hanging = "postgresql://postgres@127.0.0.1:\(silent.port)/postgres"
        let script = "BUILDTIME_DB='\(hanging)' '\(BinaryRunner.binary.path)' record --step build -- echo building; echo deployed"
        let outer = try runner.run(["record", "--", "sh", "-c", script], environment: ["BUILDTIME_DB": database.url, "BUILDTIME_SPOOL": spool])
        #expect(outer.status == 0, "\(outer.stderr)")
        #expect(outer.stdout == "building\ndeployed\n")
        #expect(outer.stderr.contains("the step is kept in \(spool)"), "\(outer.stderr)")
        #expect(outer.stderr.contains("buildtime: sent 1 nested step from \(spool)"), "\(outer.stderr)")
        let stored = try PostgresStore(location: PostgresLocation(uri: database.url)).runs(limit: nil)
        #expect(stored.count == 1)
        #expect(stored.first?.steps.map(\.name) == ["build"])
        #expect(try SQLiteStore(path: spool, mode: .existing).sendSteps(withoutRun: { _ in Issue.record("a step is left in the spool") }) == 0)
    }

    @Test func pushCopiesAnAgentsHistoryOnceAndSendsTheSpool() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["ingest"] + ReportCommandTests.logs()).status == 0)
        let database = try TestPostgres()
        defer { database.drop() }
        let environment = ["BUILDTIME_DB": database.url, "BUILDTIME_SPOOL": runner.directory.appending(path: "none.sqlite").path]
        let push = try runner.run(["push", "--from", runner.database.path], environment: environment)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stderr.hasPrefix("buildtime: 64 runs stored in \(try PostgresLocation(uri: database.url).redacted), 0 already there"), "\(push.stderr)")
        let again = try runner.run(["push", "--from", runner.database.path], environment: environment)
        #expect(again.stderr.hasPrefix("buildtime: 0 runs stored in"), "\(again.stderr)")
        #expect(again.stderr.contains(", 64 already there"), "\(again.stderr)")
        // The copy reports as the original does.
        let here = try runner.run(["report", "--last", "64"])
        let there = try runner.run(["report", "--last", "64"], environment: environment)
        #expect(here.stdout == there.stdout && !here.stdout.isEmpty)
        #expect(try runner.run(["push"], environment: environment).stderr.hasPrefix("buildtime: nothing spooled"))
        let notPostgres = try runner.run(["push", "--from", runner.database.path])
        #expect(notPostgres.status == 64 && notPostgres.stderr.contains("push copies into a PostgreSQL store"))
    }
}

final class LockedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
