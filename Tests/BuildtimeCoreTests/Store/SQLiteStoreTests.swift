import Foundation
import GRDB
import Testing
@testable import BuildtimeCore

@Suite struct SQLiteStoreTests {
    private func makeRun(_ fingerprint: String, startedAt: Double? = nil, phases: [PhaseTiming] = []) -> Run {
        Run(fingerprint: fingerprint, source: "x.log", format: .text, metadata: RunMetadata(pipelineNumber: 7, commit: "abc", branch: "main", repo: "a/b", step: "deploy \(fingerprint)"),
            startedAt: startedAt.map(Date.init(timeIntervalSince1970:)), status: .succeeded, totalSeconds: 41.25, lineCount: 12, timeResolution: 0.001,
            phases: phases, recordedAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    private func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appending(path: "buildtime-test-\(UUID().uuidString)/nested/db.sqlite").path
    }

    /// A listing reads the recorded steps of all its runs together: each run gets its own, in the order they started,
    /// whichever page it is on; a run without a key gets none.
    @Test func everyListedRunGetsItsOwnRecordedSteps() throws {
        let store = try SQLiteStore.inMemory()
        func step(_ key: String, _ name: String, at seconds: Double) -> RecordedStep {
            RecordedStep(runKey: key, name: name, startedAt: Date(timeIntervalSince1970: 1_800_000_000 + seconds), duration: 1.5, status: .succeeded,
                         exitCode: nil, lineCount: 4, images: [])
        }
        var expected: [String: [String]] = [:]
        for index in 0..<7 {
            var run = makeRun("f\(index)", startedAt: 1_790_000_000 + Double(index))
            if index != 3 { run.runKey = "key-\(index)" }
            _ = try store.save(run)
            guard let key = run.runKey else { continue }
            // Saved out of order, and as many as the run's index.
            for number in (0..<index).reversed() { try store.save(step(key, "\(key) step \(number)", at: Double(number))) }
            expected[key] = (0..<index).map { "\(key) step \($0)" }
        }
        try store.save(step("no-such-run", "orphan", at: 0))
        let whole = try store.runs(limit: nil)
        var paged: [Run] = []
        try store.forEachPage(limit: nil, pageSize: 3) { paged += $0 }
        #expect(paged == whole && whole.count == 7)
        for run in whole {
            #expect(run.steps.map(\.name) == run.runKey.flatMap { expected[$0] } ?? [], "\(run.fingerprint)")
            #expect(try run.runKey.map { try store.steps(runKey: $0) } ?? [] == run.steps)
        }
    }

    @Test func savesOnceAndReadsBackEverything() throws {
        let store = try SQLiteStore.inMemory()
        let phases = [PhaseTiming(name: "build", startOffset: 1, duration: 30.5, startLine: 2, endLine: 40),
                      PhaseTiming(name: "deploy", startLine: 40, missingMarker: .end)]
        let run = makeRun("f1", startedAt: 1_790_000_000, phases: phases)
        let first = try store.save(run)
        #expect(first == .inserted(id: 1))
        #expect(try store.save(run) == .duplicate(id: 1))
        var expected = run
        expected.id = 1
        #expect(try store.run(id: 1) == expected)
        #expect(try store.runs(limit: nil).count == 1)
        #expect(try store.runs(fingerprintPrefix: "f") == [expected])
        #expect(try store.runs(fingerprintPrefix: "%").isEmpty)
    }

    @Test func aRunIsNamedByIdPipelineCommitOrFingerprint() throws {
        let store = try SQLiteStore.inMemory()
        #expect(throws: RunReferenceError.empty) { try store.run(named: "latest") }
        func run(_ fingerprint: String, pipeline: Int, commit: String, repo: String, at time: Double) -> Run {
            var run = makeRun(fingerprint, startedAt: time)
            run.metadata = RunMetadata(pipelineNumber: pipeline, commit: commit, branch: "main", repo: repo)
            return run
        }
        _ = try store.save(run("0a1b2c3d", pipeline: 240, commit: "19154b5e0c", repo: "acme/web", at: 1_790_000_000))
        _ = try store.save(run("9f8e7d6c", pipeline: 241, commit: "1915aaaa00", repo: "acme/web", at: 1_790_000_100))
        _ = try store.save(run("5e5e5e5e", pipeline: 241, commit: "c0ffee1234", repo: "acme/api", at: 1_790_000_200))
        #expect(try store.run(named: "latest").fingerprint == "5e5e5e5e")
        #expect(try store.run(named: "1").fingerprint == "0a1b2c3d")
        #expect(try store.run(named: "#240").fingerprint == "0a1b2c3d")
        #expect(throws: RunReferenceError.ambiguous("#241", ids: [3, 2])) { try store.run(named: "#241") }
        #expect(try store.run(named: "19154b5").fingerprint == "0a1b2c3d")
        #expect(try store.run(named: "C0FFEE").fingerprint == "5e5e5e5e")
        #expect(try store.run(named: "1915a").fingerprint == "9f8e7d6c")
        #expect(throws: RunReferenceError.ambiguous("1915", ids: [2, 1])) { try store.run(named: "1915") }
        // Not a commit of any run: a fingerprint prefix.
        #expect(try store.run(named: "9f8e").fingerprint == "9f8e7d6c")
        #expect(throws: RunReferenceError.none("#999")) { try store.run(named: "#999") }
        #expect(throws: RunReferenceError.none("nope")) { try store.run(named: "nope") }
    }

    @Test func pagesListEveryRunOnceInOrderAndTheStreamedJSONIsTheArray() throws {
        let store = try SQLiteStore.inMemory()
        // Equal start times and runs with none (ordered by when they were stored) across page boundaries.
        for index in 0..<23 {
            var run = makeRun("page-\(index)", startedAt: index % 3 == 0 ? nil : 1_790_000_000 + Double(index / 4) * 60)
            run.recordedAt = Date(timeIntervalSince1970: 1_790_000_000 + Double(index % 5) * 60)
            _ = try store.save(run)
        }
        let all = try store.runs(limit: nil)
        var paged: [Run] = []
        try store.forEachPage(limit: nil, pageSize: 4) { paged += $0 }
        #expect(paged == all)
        var some: [Run] = []
        try store.forEachPage(limit: 10, pageSize: 4) { some += $0 }
        #expect(some == Array(all.prefix(10)))
        var streamed = ""
        var writer = RunRenderer.JSONArrayWriter(text: { streamed += $0 })
        try store.forEachPage(limit: nil, pageSize: 5) { try writer.add($0) }
        writer.finish()
        #expect(streamed == (try RunRenderer.json(all)))
        var empty = ""
        RunRenderer.JSONArrayWriter(text: { empty += $0 }).finish()
        #expect(empty == (try RunRenderer.json([])))
    }

    @Test func aPageOfPhasesIsTheWholePageWithoutItsImageBuilds() throws {
        let store = try SQLiteStore.inMemory()
        for index in 0..<7 {
            var run = makeRun("parts-\(index)", startedAt: 1_790_000_000 + Double(index) * 60,
                              phases: [PhaseTiming(name: "build", startOffset: 0, duration: Double(index)), PhaseTiming(name: "deploy", duration: 2)])
            run.images = [ImageBuild(name: "web", builder: .buildkit, duration: 3, steps: [BuildStep(vertex: 4, index: 1, total: 2, instruction: "COPY . .", kind: .copy, status: .done)])]
            _ = try store.save(run)
        }
        var whole: [Run] = [], phases: [Run] = []
        try store.forEachPage(limit: nil, pageSize: 3) { whole += $0 }
        try store.forEachPage(limit: nil, pageSize: 3, parts: .phases) { phases += $0 }
        #expect(whole.count == 7 && whole.allSatisfy { $0.images.count == 1 })
        #expect(phases.allSatisfy { $0.images.isEmpty })
        #expect(phases == whole.map { var run = $0; run.images = []; return run })
    }

    @Test func newestFirst() throws {
        let store = try SQLiteStore.inMemory()
        _ = try store.save(makeRun("old", startedAt: 1_700_000_000))
        _ = try store.save(makeRun("new", startedAt: 1_790_000_000))
        _ = try store.save(makeRun("mid", startedAt: 1_750_000_000))
        #expect(try store.runs(limit: 2).map(\.fingerprint) == ["new", "mid"])
    }

    @Test func whatWasSentWhereIsKeptPerTargetAndGoesWithItsRun() throws {
        let store = try SQLiteStore.inMemory()
        let ids = try (0..<3).map { try store.save(makeRun("r\($0)", startedAt: 1_790_000_000 + Double($0))).id }
        try store.markExported(runIDs: [ids[0], ids[1], 999], target: "otlp http://a/v1/traces", at: Date())
        #expect(try store.exported(runIDs: ids + [999], target: "otlp http://a/v1/traces") == [ids[0], ids[1]])
        #expect(try store.exported(runIDs: ids, target: "otlp http://b/v1/traces").isEmpty)
        // Sent again: one row still.
        try store.markExported(runIDs: [ids[0]], target: "otlp http://a/v1/traces", at: Date())
        #expect(try store.exported(runIDs: ids, target: "otlp http://a/v1/traces") == [ids[0], ids[1]])
        _ = try store.delete(runIDs: [ids[0]])
        #expect(try store.exported(runIDs: ids, target: "otlp http://a/v1/traces") == [ids[1]])
        // More ids than one statement takes.
        #expect(try store.exported(runIDs: Array(1...2000), target: "otlp http://a/v1/traces") == [ids[1]])
    }

    @Test func aDatabaseFromBeforeTheExportTableReadsTheSameAndRemembersExportsFromThenOn() throws {
        let (store, path, runs) = try MetricTableTests.historyStore()
        defer { MetricTableTests.remove(path) }
        let points = try store.points(limit: nil)
        // As a binary before 0010 left it.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DROP TABLE export; DELETE FROM grdb_migrations WHERE identifier = '0010_exports'")
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.appliedMigrations() == Migrations.all.map(\.name))
        #expect(try reopened.runs(limit: nil) == runs)
        #expect(try reopened.points(limit: nil) == points)
        let ids = runs.compactMap(\.id)
        #expect(try reopened.exported(runIDs: ids, target: "otlp http://a/v1/traces").isEmpty)
        try reopened.markExported(runIDs: Array(ids.prefix(3)), target: "otlp http://a/v1/traces", at: Date())
        #expect(try reopened.exported(runIDs: ids, target: "otlp http://a/v1/traces") == Set(ids.prefix(3)))
    }

    @Test func fileStoreCreatesFoldersUsesWALAndAppliesEveryMigration() throws {
        let path = temporaryPath()
        let store = try SQLiteStore(path: path)
        _ = try store.save(makeRun("f1"))
        #expect(try store.appliedMigrations() == Migrations.all.map(\.name))
        let mode = try DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        // Opening again keeps the data.
        #expect(try SQLiteStore(path: path).runs(limit: nil).count == 1)
    }

    @Test func aDatabaseFromANewerVersionIsRefusedAndLeftUntouched() throws {
        let path = temporaryPath()
        _ = try SQLiteStore(path: path)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: StoreError.newerSchema(path: path, unknownMigrations: ["9999_from_the_future"])) { try SQLiteStore(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aFileThatIsNotADatabaseIsAClearError() throws {
        let path = temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("this is a log, not a database\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.self) { try SQLiteStore(path: path) }
    }

    @Test func migrationsAreEmbeddedInOrderAndMatchTheFolder() throws {
        let folder = Fixtures.repositoryRoot.appending(path: "Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(Migrations.all.map { $0.name + ".sql" } == files)
        for migration in Migrations.all {
            let text = try String(contentsOf: folder.appending(path: migration.name + ".sql"), encoding: .utf8)
            #expect(migration.sql == text)
        }
    }

    @Test func databaseLocationOrder() {
        #expect(DatabaseLocation.resolve(explicit: "/x.db", environment: ["BUILDTIME_DB": "/y.db"]) == "/x.db")
        #expect(DatabaseLocation.resolve(explicit: nil, environment: ["BUILDTIME_DB": "/y.db", "XDG_DATA_HOME": "/data"]) == "/y.db")
        #expect(DatabaseLocation.resolve(explicit: nil, environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/u"]) == "/data/buildtime/buildtime.sqlite")
        #expect(DatabaseLocation.resolve(explicit: nil, environment: ["HOME": "/home/u"]) == "/home/u/.local/share/buildtime/buildtime.sqlite")
    }
}

@Suite struct SQLiteStoreConcurrencyTests {
    @Test func parallelWritersOnOneNewFileLoseNothing() async throws {
        let path = FileManager.default.temporaryDirectory.appending(path: "buildtime-concurrent-\(UUID().uuidString)/db.sqlite").path
        let writers = 8, runsEach = 10
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    // Each writer opens its own connection pool, as separate processes would.
                    let store = try SQLiteStore(path: path)
                    for index in 0..<runsEach {
                        let run = Run(fingerprint: "w\(writer)-\(index)", source: "x", format: .text, metadata: RunMetadata(), startedAt: nil,
                                      status: .succeeded, totalSeconds: 1, lineCount: 1, timeResolution: nil,
                                      phases: [PhaseTiming(name: "build", duration: 1)], recordedAt: Date())
                        _ = try store.save(run)
                    }
                }
            }
            try await group.waitForAll()
        }
        let runs = try SQLiteStore(path: path).runs(limit: nil)
        #expect(runs.count == writers * runsEach)
        #expect(runs.allSatisfy { $0.phases.count == 1 })
    }
}

/// A database written before migration 0005 (base-image pull unknown) opens and reads its builds as before.
@Suite struct BasePullMigrationTests {
    @Test func buildsStoredBeforeTheUnknownPullReadTheSame() throws {
        let path = FileManager.default.temporaryDirectory.appending(path: "buildtime-0005-\(UUID().uuidString)/db.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let images = [ImageBuild(name: "pulled", builder: .buildkit, basePulled: true), ImageBuild(name: "not-pulled", builder: .buildkit, basePulled: false)]
        let run = Run(fingerprint: "before-0005", source: "x.log", format: .text, metadata: RunMetadata(), startedAt: nil, status: .succeeded,
                      totalSeconds: 1, lineCount: 1, timeResolution: nil, phases: [], images: images, recordedAt: Date(timeIntervalSince1970: 1_800_000_000))
        do {
            let store = try SQLiteStore(path: path)
            _ = try store.save(run)
        }
        // Make the file what a binary before 0005 left: no trigger, no record of the migration, rows holding 0 or 1.
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "DROP TRIGGER image_build_base_pulled_values")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = '0005_base_pull_unknown'")
                #expect(try Int.fetchAll(db, sql: "SELECT base_pulled FROM image_build ORDER BY position") == [1, 0])
            }
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations().contains("0005_base_pull_unknown"))
        let read = try #require(try store.runs(limit: nil).first)
        #expect(read.images.map(\.basePulled) == [true, false])
        // And an unknown pull is kept as unknown.
        var excerpt = run
        excerpt.fingerprint = "after-0005"
        excerpt.images = [ImageBuild(name: "excerpt", builder: .buildkit, basePulled: nil)]
        _ = try store.save(excerpt)
        #expect(try store.runs(fingerprintPrefix: "after").first?.images.first?.basePulled == nil)
    }
}

/// A database a binary before migration 0006 wrote (no configuration_error column, no application mark) opens, is
/// brought up to date, and reads its runs as they were stored, none of them with a configuration error.
@Suite struct ConfigurationErrorMigrationTests {
    @Test func runsStoredBefore0006ReadTheSame() throws {
        let (path, queue) = try olderDatabase(before: "0006")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        // The schema as 0005 left it, written the way that binary wrote it.
        do {
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO run (fingerprint, source, format, status, exit_code, total_seconds, line_count, recorded_at, class, run_key)
                    VALUES ('old-run', 'deploy.log', 'text', 'failed', 2, 83.5, 120, 1800000000, 'code-only', 'key-1');
                    INSERT INTO phase (run_id, position, name, start_offset, duration, start_line, end_line)
                    VALUES (1, 0, 'build', 1.5, 70.25, 3, 90);
                    """)
            }
            #expect(try queue.read { try Int32.fetchOne($0, sql: "PRAGMA application_id") } == 0)
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations() == Migrations.all.map(\.name))
        let run = try #require(try store.runs(limit: nil).first)
        #expect(run.fingerprint == "old-run" && run.status == .failed && run.exitCode == 2 && run.totalSeconds == 83.5)
        #expect(run.classification.runClass == .codeOnly && run.runKey == "key-1")
        #expect(run.phases == [PhaseTiming(name: "build", startOffset: 1.5, duration: 70.25, startLine: 3, endLine: 90)])
        #expect(run.configurationError == nil)
        // And a run that says its configuration was broken keeps saying so.
        var broken = run
        broken.fingerprint = "new-run"
        broken.phases = []
        broken.configurationError = ".buildtime.yml:2: unknown phase setting 'nam'"
        _ = try store.save(broken)
        #expect(try store.runs(fingerprintPrefix: "new").first?.configurationError == ".buildtime.yml:2: unknown phase setting 'nam'")
    }
}

/// A database a binary before migration 0007 wrote keeps its classes' evidence as sentences: they read as `text`
/// facts and show as they were, on the run, on its image builds and on the images of its recorded steps; a run stored
/// after it keeps its facts.
@Suite struct ClassFactsMigrationTests {
    @Test func sentencesStoredBefore0007ReadAsTextFacts() throws {
        let (path, queue) = try olderDatabase(before: "0007")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            // A recorded step's images as that binary encoded them: the evidence an array of strings.
            let stepImages = #"[{"name":"web","builder":"buildkit","attribution":"exact","ambiguousLines":0,"outcome":"succeeded","steps":[],"errorLines":[],"#
                + #""classification":{"runClass":"no-change","confidence":"high","source":"build","evidence":["web: 8/8 steps cached"]}}]"#
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO run (fingerprint, source, format, status, total_seconds, line_count, recorded_at, class, class_confidence,
                        class_source, class_evidence, run_key)
                    VALUES ('old-run', 'deploy.log', 'text', 'succeeded', 80, 120, 1800000000, 'code-only', 'high', 'build',
                        '["web: 5/8 steps cached; COPY . . ran first"]', 'key-1');
                    INSERT INTO image_build (run_id, position, name, builder, attribution, ambiguous_lines, outcome, base_pulled, class,
                        class_evidence)
                    VALUES (1, 0, 'web', 'buildkit', 'exact', 0, 'succeeded', 0, 'code-only', '["web: 5/8 steps cached; COPY . . ran first"]');
                    """)
                try db.execute(sql: "INSERT INTO step (run_key, name, started_at, duration, status, line_count, images) VALUES ('key-1', 'build', 1800000000, 5, 'succeeded', 3, ?)",
                               arguments: [stepImages])
            }
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations() == Migrations.all.map(\.name))
        let run = try #require(try store.runs(limit: nil).first)
        #expect(run.classification.evidence == [.text("web: 5/8 steps cached; COPY . . ran first")])
        #expect(run.images.first?.classification.evidence == [.text("web: 5/8 steps cached; COPY . . ran first")])
        #expect(run.steps.first?.images.first?.classification.evidence == [.text("web: 8/8 steps cached")])
        #expect(ClassificationRenderer.summary(run.classification).last == "  - web: 5/8 steps cached; COPY . . ran first")
        // A run stored now keeps facts, not sentences.
        var new = run
        new.fingerprint = "new-run"
        new.classification.evidence = [Fact(.stepsCached) { $0.image = "web"; $0.count = 5; $0.total = 8 }, Fact(.ranFirst) { $0.image = "web"; $0.instruction = "COPY . ." }]
        _ = try store.save(new)
        #expect(try store.runs(fingerprintPrefix: "new").first?.classification.evidence == new.classification.evidence)
        #expect(FactText.lines(new.classification.evidence) == ["web: 5/8 steps cached; COPY . . ran first"])
        let stored = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT class_evidence FROM run ORDER BY id") }
        #expect(stored == ["[\"web: 5/8 steps cached; COPY . . ran first\"]", "[]"])
    }
}

/// A new database file with the schema as the migrations before `migration` left it (what an older binary wrote), in
/// a folder of its own, and a connection to it.
func olderDatabase(before migration: String) throws -> (path: String, queue: DatabaseQueue) {
    let path = FileManager.default.temporaryDirectory.appending(path: "buildtime-\(migration)-\(UUID().uuidString)/db.sqlite").path
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let queue = try DatabaseQueue(path: path)
    var migrator = DatabaseMigrator()
    for older in Migrations.all where older.name < migration {
        migrator.registerMigration(older.name) { db in try db.execute(sql: older.sql) }
    }
    try migrator.migrate(queue)
    return (path, queue)
}

/// A spool's nested steps whose run it does not hold are sent on their own.
@Suite struct OrphanStepTests {
    @Test func stepsWithoutTheirRunAreSentOnceAndTheOthersStay() throws {
        let spool = try SQLiteStore.inMemory()
        var run = Run(fingerprint: "f", source: "x.log", format: .text, metadata: RunMetadata(), startedAt: Date(timeIntervalSince1970: 1_800_000_000),
                      status: .succeeded, totalSeconds: 3, lineCount: 2, timeResolution: 0.001, phases: [], recordedAt: Date(timeIntervalSince1970: 1_800_000_010))
        run.runKey = "held"
        _ = try spool.save(run)
        func step(_ key: String, _ name: String) -> RecordedStep {
            RecordedStep(runKey: key, name: name, startedAt: Date(timeIntervalSince1970: 1_800_000_001), duration: 1.5, status: .succeeded, exitCode: nil, lineCount: 4, images: [])
        }
        try spool.save(step("held", "with its run"))
        try spool.save(step("elsewhere", "build"))
        try spool.save(step("elsewhere", "test"))
        // A failed send keeps them.
        struct Unreachable: Error {}
        #expect(throws: Unreachable.self) { try spool.sendSteps(withoutRun: { _ in throw Unreachable() }) }
        var sent: [RecordedStep] = []
        #expect(try spool.sendSteps(withoutRun: { sent += $0 }) == 2)
        #expect(sent == [step("elsewhere", "build"), step("elsewhere", "test")])
        #expect(try spool.sendSteps(withoutRun: { _ in Issue.record("sent twice") }) == 0)
        #expect(try spool.steps(runKey: "held").map(\.name) == ["with its run"])
        #expect(try spool.steps(runKey: "elsewhere").isEmpty)
    }
}
