import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs in one SQLite file, through one connection: WAL mode, so that other processes read while one writes, and a
/// busy timeout, so parallel writers wait for each other instead of failing.
public struct SQLiteStore: RunStore {
    private let writer: any DatabaseWriter

    /// How long a writer waits for another one before giving up, by default.
    public static let busyTimeout: TimeInterval = 10

    /// buildtime's mark in the header of every database it writes (`PRAGMA application_id`): "BTME".
    public static let applicationID: Int32 = 0x4254_4D45

    /// Whether opening may create the file.
    public enum OpenMode: Sendable {
        /// Creates the file and its directories when missing (the commands that store runs).
        case create
        /// The file must exist (the commands that only read): a mistyped path is an error, not an empty database.
        case existing
    }

    /// Opens the database at `path` (creating it if `mode` allows) and brings its schema up to date. A database that a
    /// newer version of buildtime wrote, or another application's SQLite file, is refused before anything is written
    /// to it. A writer waits up to `busyTimeout` seconds for others.
    public init(path: String, busyTimeout: TimeInterval = SQLiteStore.busyTimeout, mode: OpenMode = .create) throws {
        switch mode {
        case .existing:
            guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path: path) }
        case .create:
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError.cannotOpen(path: path, reason: error.localizedDescription)
            }
        }
        let migrator = Self.migrator()
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        var attempt = 0
        while true {
            let started = Date()
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                try Self.claim(queue, path: path, migrator: migrator)
                try queue.writeWithoutTransaction { db in
                    guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                        throw StoreError.cannotOpen(path: path, reason: "cannot switch it to WAL mode")
                    }
                    // Many applications choose NORMAL in WAL mode (sqlite.org/pragma.html#pragma_synchronous): a
                    // commit is durable once the WAL is checkpointed, and the database can never be corrupted.
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                }
                try Self.migrate(queue, with: migrator)
                writer = queue
                return
            } catch let error as DatabaseError {
                // Switching a brand-new file to WAL while others do the same can fail at once with "locked", without
                // waiting for the busy timeout; trying again settles it. A lock that outlasted the timeout is final.
                // Likewise a file another process is creating can show a table in its schema that a read then does
                // not find ("no such table", or the schema changed): the next try sees it whole.
                attempt += 1
                let failedAtOnce = Date().timeIntervalSince(started) < busyTimeout / 2
                let schemaInFlux = error.resultCode == .SQLITE_SCHEMA || error.resultCode == .SQLITE_ERROR && (error.message ?? "").hasPrefix("no such table")
                guard [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode) && failedAtOnce || schemaInFlux, attempt < 20 else {
                    throw StoreError.cannotOpen(path: path, reason: StoreError.reason(of: error))
                }
                usleep(UInt32.random(in: 10_000...60_000))
            }
        }
    }

    /// Makes sure the file is buildtime's before anything is written to it, and marks it so: a brand-new (empty) file
    /// or one an older buildtime wrote (unmarked, with buildtime's migrations) gets the mark; a file marked by another
    /// application, or unmarked with tables of its own, is refused, as is one with migrations this version does not
    /// know. The mark is written before any table, so a file that another process is creating is never taken for a
    /// foreign one.
    private static func claim(_ queue: DatabaseQueue, path: String, migrator: DatabaseMigrator) throws {
        let known = Set(Migrations.all.map(\.name))
        let (mark, tables, applied) = try queue.read { db in
            (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0,
             try migrator.appliedIdentifiers(db))
        }
        let foreign = mark != 0 && mark != applicationID || mark == 0 && tables > 0 && applied.isDisjoint(with: known)
        if foreign { throw StoreError.notBuildtime(path: path) }
        let unknown = applied.subtracting(known)
        if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknownMigrations: Array(unknown)) }
        if mark == 0 {
            try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA application_id = \(applicationID)") }
        }
    }

    /// Applies the missing migrations. Another process may be migrating the same new file at the same moment
    /// (parallel `record` steps on a first run); if a migration fails because the other one applied it first, the
    /// schema is checked again rather than reported broken.
    private static func migrate(_ writer: any DatabaseWriter, with migrator: DatabaseMigrator) throws {
        var attempt = 0
        while true {
            do {
                if try writer.read(migrator.hasCompletedMigrations) { return }
                try migrator.migrate(writer)
                return
            } catch {
                attempt += 1
                if try writer.read(migrator.hasCompletedMigrations) { return }
                // Each try starts from what the others have applied by then; a little jitter keeps them apart.
                if attempt >= 20 { throw error }
                usleep(UInt32.random(in: 10_000...60_000))
            }
        }
    }

    /// A private in-memory store, for tests and dry runs.
    public static func inMemory() throws -> SQLiteStore {
        try SQLiteStore(writer: DatabaseQueue())
    }

    private init(writer: any DatabaseWriter) throws {
        try Self.migrator().migrate(writer)
        self.writer = writer
    }

    private static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in Migrations.all {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql) }
        }
        return migrator
    }

    /// The names of the migrations applied to this database, in order.
    public func appliedMigrations() throws -> [String] {
        try writer.read { try Self.migrator().appliedMigrations($0) }
    }

    public func save(_ run: Run) throws -> SaveOutcome {
        try writer.write { db in try Self.insert(run, db: db) }
    }

    /// Stores many runs in one transaction: all or none.
    public func save(_ runs: [Run]) throws -> [SaveOutcome] {
        try writer.write { db in try runs.map { try Self.insert($0, db: db) } }
    }

    private static func insert(_ run: Run, db: Database) throws -> SaveOutcome {
        if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM run WHERE fingerprint = ?", arguments: [run.fingerprint]) {
            return .duplicate(id: existing)
        }
        try db.execute(
            sql: """
                INSERT INTO run (fingerprint, source, format, pipeline_number, commit_sha, branch, repo, step_name,
                    started_at, status, exit_code, total_seconds, line_count, time_resolution, recorded_at,
                    class, class_confidence, class_source, class_facts, context, run_key, configuration_error, metrics_written)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                """,
            arguments: [
                run.fingerprint, run.source, run.format.rawValue, run.metadata.pipelineNumber, run.metadata.commit,
                run.metadata.branch, run.metadata.repo, run.metadata.step, run.startedAt?.timeIntervalSince1970,
                run.status.rawValue, run.exitCode, run.totalSeconds, run.lineCount, run.timeResolution,
                run.recordedAt.timeIntervalSince1970, run.classification.runClass?.rawValue,
                run.classification.confidence?.rawValue, run.classification.source?.rawValue, Self.json(facts: run.classification.evidence),
                run.context.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) }, run.runKey,
                run.configurationError,
            ])
        let id = db.lastInsertedRowID
        for (position, phase) in run.phases.enumerated() {
            try db.execute(
                sql: """
                    INSERT INTO phase (run_id, position, name, start_offset, duration, start_line, end_line, missing_marker)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, position, phase.name, phase.startOffset, phase.duration, phase.startLine, phase.endLine, phase.missingMarker?.rawValue])
        }
        for (position, image) in run.images.enumerated() {
            try Self.insert(image, position: position, runID: id, db: db)
        }
        try insertMetrics(of: run, id: id, db: db)
        return .inserted(id: id)
    }

    /// The run's metric rows (migration 0008), with its class, status, repository and time.
    private static func insertMetrics(of run: Run, id: Int64, db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO metric (run_id, name, value, class, status, repo, at) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        let at = (run.startedAt ?? run.recordedAt).timeIntervalSince1970
        for (metric, value) in RunMetrics(run).values.sorted(by: { $0.key < $1.key }) where value.isFinite {
            try statement.execute(arguments: [id, metric.name, value, run.classification.runClass?.rawValue, run.status.rawValue, run.metadata.repo, at])
        }
    }

    public func backfillMetrics(batch: Int = 500, progress: (_ done: Int, _ of: Int) -> Void = { _, _ in }) throws -> Int {
        let pending = "SELECT id FROM run WHERE metrics_written = 0 ORDER BY id LIMIT \(max(1, batch))"
        guard let total = try writer.read({ try Int.fetchOne($0, sql: "SELECT count(*) FROM run WHERE metrics_written = 0") }), total > 0 else { return 0 }
        var done = 0
        while true {
            let runs = try fetchRuns(where: "id IN (\(pending))", arguments: [], limit: nil)
            guard !runs.isEmpty else { break }
            // Another process may be at the same work: writing a run's rows twice writes the same rows.
            try writer.write { db in
                for run in runs {
                    guard let id = run.id else { continue }
                    try Self.insertMetrics(of: run, id: id, db: db)
                    try db.execute(sql: "UPDATE run SET metrics_written = 1 WHERE id = ?", arguments: [id])
                }
            }
            done += runs.count
            progress(min(done, total), total)
        }
        return done
    }

    /// What `points` reads of each run, newest first: from the `run_points` index alone (migration 0009).
    static let pointsSQL = """
        SELECT id, fingerprint, pipeline_number, commit_sha, branch, repo, started_at, recorded_at, class, status
        FROM run ORDER BY coalesce(started_at, recorded_at) DESC, id DESC
        """

    /// The alerting metrics of every run, from their covering index (migration 0011), a run's rows together.
    static let alertingSQL = "SELECT run_id, name, value FROM metric WHERE (name = 'total' OR name GLOB 'phase:*')"

    public func points(limit: Int?) throws -> [RunPoint] {
        _ = try backfillMetrics()
        return try writer.read { db in
            let order = "ORDER BY coalesce(started_at, recorded_at) DESC, id DESC"
            let stored = try Int.fetchOne(db, sql: "SELECT count(*) FROM run") ?? 0
            let all = limit.map { stored <= $0 } ?? true
            let limited = limit.map { " LIMIT \(max(0, $0))" } ?? ""
            var points: [RunPoint] = []
            var ids: [Int64] = []
            try RawRows(db, sql: Self.pointsSQL + limited).forEach { row in
                guard let id = row.int64(0) else { return }
                ids.append(id)
                points.append(RunPoint(
                    id: id, fingerprint: row.string(1) ?? "", pipeline: row.int(2), commit: row.string(3), branch: row.string(4), repo: row.string(5),
                    startedAt: row.double(6).map(Date.init(timeIntervalSince1970:)), recordedAt: Date(timeIntervalSince1970: row.double(7) ?? 0),
                    runClass: row.string(8).flatMap(RunClass.init(rawValue:)), status: row.string(9).flatMap(RunStatus.init(rawValue:)) ?? .incomplete,
                    metrics: [:]))
            }
            let position = Positions(ids)
            // The alerting metrics (total and phases), which the verdicts and change points read; the analysis reads
            // the others from the whole runs it shows. Every run's at once when all are wanted, else the selection's.
            let selection = all ? "" : " AND run_id IN (SELECT id FROM run \(order)\(limited))"
            // Few names, many rows: each name's `Metric` is made once (the first few dozen names; a database with
            // more makes the rest row by row). The rows come in the order of the key, a run's together: each run's
            // metrics are gathered, then stored at once.
            var names: [(bytes: [UInt8], metric: Metric)] = []
            var current: (index: Int, metrics: [(Metric, Double)])?
            func store() {
                guard let (index, metrics) = current else { return }
                var dictionary = [Metric: Double](minimumCapacity: metrics.count)
                for (metric, value) in metrics { dictionary[metric] = value }
                points[index].metrics = dictionary
            }
            try RawRows(db, sql: Self.alertingSQL + selection).forEach { row in
                guard let id = row.int64(0), let index = position[id], let value = row.double(2) else { return }
                let metric: Metric
                if let known = names.first(where: { row.text(1, equals: $0.bytes) }) {
                    metric = known.metric
                } else {
                    guard let name = row.string(1) else { return }
                    metric = Metric(name)
                    if names.count < 48 { names.append((Array(name.utf8), metric)) }
                }
                if current?.index != index {
                    store()
                    current = (index, [])
                }
                current!.metrics.append((metric, value))
            }
            store()
            points.reverse()
            return points
        }
    }

    public func delete(runIDs: [Int64]) throws -> [Int64] {
        try writer.write { db in
            var deleted: [Int64] = []
            for id in runIDs where !deleted.contains(id) {
                guard let row = try Row.fetchOne(db, sql: "SELECT run_key FROM run WHERE id = ?", arguments: [id]) else { continue }
                // Phases and image builds with their steps go with the run (ON DELETE CASCADE).
                try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [id])
                if let key: String = row["run_key"],
                   try Int.fetchOne(db, sql: "SELECT count(*) FROM run WHERE run_key = ?", arguments: [key]) == 0 {
                    try db.execute(sql: "DELETE FROM step WHERE run_key = ?", arguments: [key])
                }
                deleted.append(id)
            }
            return deleted
        }
    }

    public func save(_ step: RecordedStep) throws {
        let images = String(decoding: try JSONEncoder().encode(step.images), as: UTF8.self)
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO step (run_key, name, started_at, duration, status, exit_code, line_count, images)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [step.runKey, step.name, step.startedAt.timeIntervalSince1970, step.duration, step.status.rawValue,
                            step.exitCode, step.lineCount, images])
        }
    }

    public func steps(runKey: String) throws -> [RecordedStep] {
        try writer.read { db in try Self.steps(runKey: runKey, db: db) }
    }

    private static func steps(runKey: String, db: Database) throws -> [RecordedStep] {
        try Row.fetchAll(db, sql: "SELECT * FROM step WHERE run_key = ? ORDER BY started_at, id", arguments: [runKey]).map(StoredRow.init).map { row in
            RecordedStep(
                runKey: row["run_key"] ?? runKey, name: row["name"] ?? "?", startedAt: Date(timeIntervalSince1970: row["started_at"] ?? 0),
                duration: row["duration"] ?? 0, status: (row["status"] as String?).flatMap(RunStatus.init(rawValue:)) ?? .failed,
                exitCode: row["exit_code"], lineCount: row["line_count"] ?? 0,
                images: (try? JSONDecoder().decode([ImageBuild].self, from: Data(((row["images"] as String?) ?? "[]").utf8))) ?? [])
        }
    }

    /// `base_pulled`: 1, 0, or -1 for unknown (migration 0005).
    private static func basePulled(_ value: Int?) -> Bool? { value.map { $0 < 0 ? nil : $0 != 0 } ?? nil }

    private static func insert(_ image: ImageBuild, position: Int, runID: Int64, db: Database) throws {
        let classification = image.classification
        try db.execute(
            sql: """
                INSERT INTO image_build (run_id, position, name, tag, builder, attribution, ambiguous_lines, start_offset, duration,
                    outcome, base_pulled, dependency_step, error_lines, exit_code, class, class_confidence, class_source, class_facts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                runID, position, image.name, image.tag, image.builder.rawValue, image.attribution.rawValue, image.ambiguousLines,
                image.startOffset, image.duration, image.outcome.rawValue, image.basePulled.map { $0 ? 1 : 0 } ?? -1, image.dependencyStep,
                json(image.errorLines), image.exitCode, classification.runClass?.rawValue, classification.confidence?.rawValue,
                classification.source?.rawValue, json(facts: classification.evidence),
            ])
        for (index, step) in image.steps.enumerated() {
            try db.execute(
                sql: """
                    INSERT INTO build_step (run_id, image_position, position, vertex, stage, step_index, step_total, instruction, kind,
                        status, duration, start_offset)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [runID, position, index, step.vertex, step.stage, step.index, step.total, step.instruction, step.kind.rawValue,
                            step.status.rawValue, step.duration, step.startOffset])
        }
    }

    private static func json(_ strings: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(strings), as: UTF8.self)) ?? "[]"
    }

    /// A JSON array of strings, as `json(_:)` wrote it.
    private static func strings(_ json: String?) -> [String] {
        guard let json else { return [] }
        return StringArrayJSON.decode(json) ?? (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    /// A JSON array of facts.
    private static func json(facts: [Fact]) -> String {
        (try? String(decoding: JSONEncoder().encode(facts), as: UTF8.self)) ?? "[]"
    }

    /// The facts `json(facts:)` wrote; one this version cannot read (a kind from a newer one) is left out, not the rest.
    private static func facts(_ json: String) -> [Fact] {
        struct Lenient: Decodable {
            var fact: Fact?
            init(from decoder: any Decoder) throws { fact = try? Fact(from: decoder) }
        }
        return ((try? JSONDecoder().decode([Lenient].self, from: Data(json.utf8))) ?? []).compactMap(\.fact)
    }

    /// The class, confidence, source and evidence in four columns from `first`, and its facts in column `facts`: the
    /// facts when the row has them (migration 0007), else the sentences an older version stored.
    private static func classification(_ row: StoredRow, from first: Int, facts column: Int) -> Classification {
        Classification(
            runClass: (row[first] as String?).flatMap(RunClass.init(rawValue:)),
            confidence: (row[first + 1] as String?).flatMap(Confidence.init(rawValue:)),
            source: (row[first + 2] as String?).flatMap(ClassSource.init(rawValue:)),
            evidence: (row[column] as String?).map(facts) ?? strings(row[first + 3]).map(Fact.text))
    }

    public func markExported(runIDs: [Int64], target: String, at date: Date) throws {
        guard !runIDs.isEmpty else { return }
        try writer.write { db in
            for id in runIDs {
                try db.execute(sql: "INSERT OR REPLACE INTO export (run_id, target, sent_at) SELECT id, ?, ? FROM run WHERE id = ?",
                               arguments: [target, date.timeIntervalSince1970, id])
            }
        }
    }

    public func exported(runIDs: [Int64], target: String) throws -> Set<Int64> {
        guard !runIDs.isEmpty else { return [] }
        return try writer.read { db in
            var found = Set<Int64>()
            // In chunks: SQLite limits the parameters of one statement.
            for start in stride(from: 0, to: runIDs.count, by: 500) {
                let chunk = Array(runIDs[start..<min(start + 500, runIDs.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                var arguments: [any DatabaseValueConvertible] = [target]
                arguments += chunk.map { $0 as any DatabaseValueConvertible }
                found.formUnion(try Int64.fetchAll(db, sql: "SELECT run_id FROM export WHERE target = ? AND run_id IN (\(marks))",
                                                   arguments: StatementArguments(arguments)))
            }
            return found
        }
    }

    /// The commit of the newest run that has one, on `branch` when given.
    public func previousCommit(branch: String?) throws -> String? {
        try writer.read { db in
            try String.fetchOne(db, sql: """
                SELECT commit_sha FROM run WHERE commit_sha IS NOT NULL AND (? IS NULL OR branch = ?)
                ORDER BY coalesce(started_at, recorded_at) DESC, id DESC LIMIT 1
                """, arguments: [branch, branch])
        }
    }

    public func runs(limit: Int?) throws -> [Run] {
        try fetchRuns(where: "1", arguments: [], limit: limit)
    }

    public func runs(limit: Int, before cursor: RunCursor?) throws -> [Run] {
        guard let cursor else { return try fetchRuns(where: "1", arguments: [], limit: limit) }
        return try fetchRuns(where: "(coalesce(started_at, recorded_at) < ? OR (coalesce(started_at, recorded_at) = ? AND id < ?))",
                             arguments: [cursor.time, cursor.time, cursor.id], limit: limit)
    }

    public func run(id: Int64) throws -> Run? {
        try fetchRuns(where: "id = ?", arguments: [id], limit: 1).first
    }

    public func runs(fingerprintPrefix prefix: String) throws -> [Run] {
        try fetchRuns(where: "fingerprint LIKE ? ESCAPE '\\'", arguments: [Self.likePrefix(prefix)], limit: nil)
    }

    public func runs(pipeline number: Int) throws -> [Run] {
        try fetchRuns(where: "pipeline_number = ?", arguments: [number], limit: nil)
    }

    public func runs(commitPrefix prefix: String) throws -> [Run] {
        try fetchRuns(where: "commit_sha LIKE ? ESCAPE '\\'", arguments: [Self.likePrefix(prefix.lowercased())], limit: nil)
    }

    /// A `LIKE` pattern matching what starts with `prefix`, its wildcards escaped.
    private static func likePrefix(_ prefix: String) -> String {
        prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    /// Reads runs with their phases, image builds and steps: one query per table for the whole selection, columns
    /// read by position (by name, each lookup would compare every column name).
    private func fetchRuns(where condition: String, arguments: StatementArguments, limit: Int?) throws -> [Run] {
        try writer.read { db in
            var selection = "SELECT id FROM run WHERE \(condition) ORDER BY coalesce(started_at, recorded_at) DESC, id DESC"
            if let limit { selection += " LIMIT \(max(0, limit))" }
            let sql = "SELECT \(Self.runColumns) FROM run WHERE id IN (\(selection)) ORDER BY coalesce(started_at, recorded_at) DESC, id DESC"
            var runs = try Row.fetchAll(db, sql: sql, arguments: arguments).map { Self.run(from: StoredRow($0)) }
            guard !runs.isEmpty else { return runs }
            // The children of the same selection, by a subquery: any number of runs, no list of ids to bind.
            let selected = "run_id IN (\(selection))"
            var phases = [Int64: [PhaseTiming]]()
            let phaseSQL = "SELECT run_id, name, start_offset, duration, start_line, end_line, missing_marker FROM phase WHERE \(selected) ORDER BY run_id, position"
            let phaseRows = try Row.fetchCursor(db, sql: phaseSQL, arguments: arguments)
            while let row = try phaseRows.next().map(StoredRow.init) {
                guard let runID: Int64 = row[0] else { continue }
                phases[runID, default: []].append(PhaseTiming(
                    name: row[1] ?? "?", startOffset: row[2], duration: row[3], startLine: row[4], endLine: row[5],
                    missingMarker: (row[6] as String?).flatMap(MissingMarker.init(rawValue:))))
            }
            var steps = [Int64: [Int: [BuildStep]]]()
            let stepSQL = """
                SELECT run_id, image_position, vertex, stage, step_index, step_total, instruction, kind, status, duration, start_offset
                FROM build_step WHERE \(selected) ORDER BY run_id, image_position, position
                """
            let stepRows = try Row.fetchCursor(db, sql: stepSQL, arguments: arguments)
            while let row = try stepRows.next().map(StoredRow.init) {
                guard let runID: Int64 = row[0], let image: Int = row[1] else { continue }
                steps[runID, default: [:]][image, default: []].append(BuildStep(
                    vertex: row[2], stage: row[3], index: row[4], total: row[5], instruction: row[6] ?? "",
                    kind: (row[7] as String?).flatMap(StepKind.init(rawValue:)) ?? .other,
                    status: (row[8] as String?).flatMap(StepStatus.init(rawValue:)) ?? .pending,
                    duration: row[9], startOffset: row[10]))
            }
            var images = [Int64: [ImageBuild]]()
            let imageSQL = """
                SELECT run_id, position, name, tag, builder, attribution, ambiguous_lines, start_offset, duration, outcome, base_pulled,
                    dependency_step, error_lines, exit_code, class, class_confidence, class_source, class_evidence, class_facts
                FROM image_build WHERE \(selected) ORDER BY run_id, position
                """
            let imageRows = try Row.fetchCursor(db, sql: imageSQL, arguments: arguments)
            while let row = try imageRows.next().map(StoredRow.init) {
                guard let runID: Int64 = row[0], let position: Int = row[1] else { continue }
                images[runID, default: []].append(ImageBuild(
                    name: row[2], tag: row[3], builder: (row[4] as String?).flatMap(BuilderKind.init(rawValue:)) ?? .buildkit,
                    attribution: (row[5] as String?).flatMap(Attribution.init(rawValue:)) ?? .exact, ambiguousLines: row[6] ?? 0,
                    startOffset: row[7], duration: row[8], outcome: (row[9] as String?).flatMap(BuildOutcome.init(rawValue:)) ?? .unfinished,
                    basePulled: Self.basePulled(row[10]), dependencyStep: row[11], steps: steps[runID]?[position] ?? [],
                    errorLines: Self.strings(row[12]), exitCode: row[13], classification: Self.classification(row, from: 14, facts: 18)))
            }
            for index in runs.indices {
                runs[index].phases = phases[runs[index].id!] ?? []
                runs[index].images = images[runs[index].id!] ?? []
                if let key = runs[index].runKey { runs[index].steps = try Self.steps(runKey: key, db: db) }
            }
            return runs
        }
    }

    private static let runColumns = """
        id, fingerprint, source, format, pipeline_number, commit_sha, branch, repo, step_name, started_at, status, exit_code,
        total_seconds, line_count, time_resolution, class, class_confidence, class_source, class_evidence, context, run_key, recorded_at,
        configuration_error, class_facts
        """

    /// A run from the `runColumns` of its row.
    private static func run(from row: StoredRow) -> Run {
        var run = Run(
            id: row[0], fingerprint: row[1] ?? "", source: row[2] ?? "?", format: (row[3] as String?).flatMap(LogFormat.init(rawValue:)) ?? .text,
            metadata: RunMetadata(pipelineNumber: row[4], commit: row[5], branch: row[6], repo: row[7], step: row[8]),
            startedAt: (row[9] as Double?).map(Date.init(timeIntervalSince1970:)),
            status: (row[10] as String?).flatMap(RunStatus.init(rawValue:)) ?? .incomplete, exitCode: row[11],
            totalSeconds: row[12], lineCount: row[13] ?? 0, timeResolution: row[14],
            phases: [], classification: classification(row, from: 15, facts: 23),
            context: (row[19] as String?).flatMap { try? JSONDecoder().decode(RunContext.self, from: Data($0.utf8)) },
            runKey: row[20], recordedAt: Date(timeIntervalSince1970: row[21] ?? 0)
        )
        run.configurationError = row[22]
        return run
    }
}

/// A stored row read without trust: a value of the wrong type or out of range (a file edited by hand, or by another
/// program) reads as nil, or as the fallback the reader gives, where GRDB's own subscript would stop the process.
struct StoredRow {
    let row: Row

    init(_ row: Row) { self.row = row }

    subscript<Value: DatabaseValueConvertible>(_ index: Int) -> Value? {
        Value.fromDatabaseValue(row[index] as DatabaseValue)
    }

    subscript<Value: DatabaseValueConvertible>(_ name: String) -> Value? {
        (row[name] as DatabaseValue?).flatMap(Value.fromDatabaseValue)
    }
}

/// The position of each run id in a list of them: an array over the ids' range when they are dense (ids are given in
/// order as runs are stored, so they nearly always are), else a dictionary.
struct Positions {
    private let low: Int64
    private let dense: [Int32]
    private let sparse: [Int64: Int]

    init(_ ids: [Int64]) {
        let low = ids.min() ?? 0, high = ids.max() ?? 0
        self.low = low
        if !ids.isEmpty, high - low < 4 * Int64(ids.count) + 64, ids.count < Int(Int32.max) {
            var dense = [Int32](repeating: -1, count: Int(high - low) + 1)
            for (position, id) in ids.enumerated() { dense[Int(id - low)] = Int32(position) }
            self.dense = dense
            sparse = [:]
        } else {
            dense = []
            sparse = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    subscript(id: Int64) -> Int? {
        guard !dense.isEmpty else { return sparse[id] }
        guard id >= low, id - low < Int64(dense.count) else { return nil }
        let position = dense[Int(id - low)]
        return position < 0 ? nil : Int(position)
    }
}
