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
        // The same log, or the same step of the same pipeline stored by another agent (the team key).
        if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM run WHERE fingerprint = ? OR team_key = ? LIMIT 1",
                                             arguments: [run.fingerprint, run.metadata.teamKey]) {
            return .duplicate(id: existing)
        }
        try db.execute(sql: insertSQL("run", RunRows.runInsertColumns), arguments: arguments(RunRows.values(of: run)))
        let id = db.lastInsertedRowID
        for (position, phase) in run.phases.enumerated() {
            try db.execute(sql: insertSQL("phase", RunRows.phaseInsertColumns), arguments: arguments(RunRows.values(of: phase, position: position, runID: id)))
        }
        for (position, image) in run.images.enumerated() {
            try db.execute(sql: insertSQL("image_build", RunRows.imageInsertColumns), arguments: arguments(RunRows.values(of: image, position: position, runID: id)))
            for (index, step) in image.steps.enumerated() {
                try db.execute(sql: insertSQL("build_step", RunRows.stepInsertColumns),
                               arguments: arguments(RunRows.values(of: step, position: index, image: position, runID: id)))
            }
        }
        try insertMetrics(of: run, id: id, db: db)
        return .inserted(id: id)
    }

    /// The run's metric rows (migration 0008), with its class, status, repository and time.
    private static func insertMetrics(of run: Run, id: Int64, db: Database) throws {
        let statement = try db.cachedStatement(sql: "INSERT OR REPLACE" + insertSQL("metric", RunRows.metricInsertColumns).dropFirst("INSERT".count))
        for row in RunRows.metricValues(of: run, id: id) { try statement.execute(arguments: arguments(row)) }
    }

    /// `INSERT INTO table (columns) VALUES (?, ...)`.
    private static func insertSQL(_ table: String, _ columns: [String]) -> String {
        "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
    }

    private static func arguments(_ values: [StoredValue]) -> StatementArguments {
        StatementArguments(values.map { value -> DatabaseValue in
            switch value {
            case .null: .null
            case .integer(let number): number.databaseValue
            case .real(let number): number.databaseValue
            case .text(let text): text.databaseValue
            }
        })
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
    static func pointsSQL(_ condition: String) -> String {
        "SELECT \(RunRows.pointColumns) FROM run\(condition) ORDER BY coalesce(started_at, recorded_at) DESC, id DESC"
    }

    /// The alerting metrics of every run, from their covering index (migration 0011), a run's rows together.
    static let alertingSQL = "SELECT run_id, name, value FROM metric WHERE (name = 'total' OR name GLOB 'phase:*')"

    public func points(limit: Int?) throws -> [RunPoint] { try points(limit: limit, repo: nil) }

    public func points(limit: Int?, repo: String?) throws -> [RunPoint] {
        _ = try backfillMetrics()
        return try writer.read { db in
            let order = "ORDER BY coalesce(started_at, recorded_at) DESC, id DESC"
            let condition = repo == nil ? "" : " WHERE repo = ?"
            let arguments: StatementArguments = repo.map { [$0] } ?? []
            let stored = try Int.fetchOne(db, sql: "SELECT count(*) FROM run" + condition, arguments: arguments) ?? 0
            let all = repo == nil && (limit.map { stored <= $0 } ?? true)
            let limited = limit.map { " LIMIT \(max(0, $0))" } ?? ""
            var points: [RunPoint] = []
            var ids: [Int64] = []
            try RawRows(db, sql: Self.pointsSQL(condition) + limited, arguments: arguments).forEach { row in
                guard let point = RunRows.point(from: row), let id = point.id else { return }
                ids.append(id)
                points.append(point)
            }
            let position = Positions(ids)
            // The alerting metrics (total and phases), which the verdicts and change points read; the analysis reads
            // the others from the whole runs it shows. Every run's at once when all are wanted, else the selection's.
            let selection = all ? "" : " AND run_id IN (SELECT id FROM run\(condition) \(order)\(limited))"
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
            try RawRows(db, sql: Self.alertingSQL + selection, arguments: all ? [] : arguments).forEach { row in
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
        try writer.write { db in try db.execute(sql: Self.insertSQL("step", RunRows.recordedStepInsertColumns), arguments: Self.arguments(RunRows.values(of: step))) }
    }

    /// Hands the nested steps whose run this store does not hold to `send`, and removes them once it returned: a
    /// spool's steps whose run went to the team's store after all (or has not ended yet), which copying the spool's
    /// runs would never send. Returns how many were sent.
    @discardableResult
    public func sendSteps(withoutRun send: ([RecordedStep]) throws -> Void) throws -> Int {
        try writer.write { db in
            var ids: [Int64] = [], steps: [RecordedStep] = []
            let sql = "SELECT id, \(RunRows.recordedStepColumns) FROM step WHERE run_key NOT IN (SELECT run_key FROM run WHERE run_key IS NOT NULL) ORDER BY started_at, id"
            for row in try Row.fetchAll(db, sql: sql) {
                let cells = StoredRow(row)
                guard let id = cells.int64(0) else { continue }
                ids.append(id)
                steps.append(RunRows.recordedStep(from: Shifted(row: cells), runKey: ""))
            }
            guard !steps.isEmpty else { return 0 }
            try send(steps)
            try db.execute(sql: "DELETE FROM step WHERE id IN (\(ids.map(String.init).joined(separator: ",")))")
            return steps.count
        }
    }

    /// A row's cells after its first.
    private struct Shifted: StoredCells {
        let row: StoredRow
        func int64(_ column: Int) -> Int64? { row.int64(column + 1) }
        func double(_ column: Int) -> Double? { row.double(column + 1) }
        func string(_ column: Int) -> String? { row.string(column + 1) }
    }

    public func steps(runKey: String) throws -> [RecordedStep] {
        try writer.read { db in try Self.steps(runKey: runKey, db: db) }
    }

    private static func steps(runKey: String, db: Database) throws -> [RecordedStep] {
        try Row.fetchAll(db, sql: "SELECT \(RunRows.recordedStepColumns) FROM step WHERE run_key = ? ORDER BY started_at, id", arguments: [runKey])
            .map { RunRows.recordedStep(from: StoredRow($0), runKey: runKey) }
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

    public func runs(limit: Int, before cursor: RunCursor?) throws -> [Run] { try runs(limit: limit, before: cursor, repo: nil) }

    public func runs(limit: Int, before cursor: RunCursor?, repo: String?, parts: RunParts) throws -> [Run] {
        var conditions: [String] = [], arguments: StatementArguments = []
        if let cursor {
            conditions.append("(coalesce(started_at, recorded_at) < ? OR (coalesce(started_at, recorded_at) = ? AND id < ?))")
            arguments += [cursor.time, cursor.time, cursor.id]
        }
        if let repo {
            conditions.append("repo = ?")
            arguments += [repo]
        }
        return try fetchRuns(where: conditions.isEmpty ? "1" : conditions.joined(separator: " AND "), arguments: arguments, limit: limit, parts: parts)
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

    /// Reads runs with their phases, image builds and steps (only phases for `.phases`): one query per table for the whole selection, columns
    /// read by position (by name, each lookup would compare every column name) with SQLite's own API.
    private func fetchRuns(where condition: String, arguments: StatementArguments, limit: Int?, parts: RunParts = .whole) throws -> [Run] {
        try writer.read { db in
            var selection = "SELECT id FROM run WHERE \(condition) ORDER BY coalesce(started_at, recorded_at) DESC, id DESC"
            if let limit { selection += " LIMIT \(max(0, limit))" }
            let sql = "SELECT \(RunRows.runColumns) FROM run WHERE id IN (\(selection)) ORDER BY coalesce(started_at, recorded_at) DESC, id DESC"
            var children = RunChildren()
            var runs: [Run] = []
            try RawRows(db, sql: sql, arguments: arguments).forEach { runs.append(children.run(from: $0)) }
            guard !runs.isEmpty else { return runs }
            // The children of the same selection, by a subquery: any number of runs, no list of ids to bind.
            let selected = "run_id IN (\(selection))"
            let queries = RunChildren.queries(selected)
            try RawRows(db, sql: queries.phases, arguments: arguments).forEach { children.addPhase($0) }
            guard parts == .whole else {
                children.attach(to: &runs)
                return runs
            }
            try RawRows(db, sql: queries.steps, arguments: arguments).forEach { children.addStep($0) }
            try RawRows(db, sql: queries.images, arguments: arguments).forEach { children.addImage($0) }
            children.attach(to: &runs)
            // The recorded steps of the runs that have a key, by one statement too (not one per run).
            guard runs.contains(where: { $0.runKey != nil }) else { return runs }
            var recorded: [String: [RecordedStep]] = [:]
            try RawRows(db, sql: "SELECT \(RunRows.recordedStepColumns) FROM step WHERE run_key IN (SELECT run_key FROM run WHERE id IN (\(selection))) "
                            + "ORDER BY started_at, id", arguments: arguments).forEach { row in
                guard let key = row.string(0) else { return }
                recorded[key, default: []].append(RunRows.recordedStep(from: row, runKey: key))
            }
            for index in runs.indices {
                if let key = runs[index].runKey { runs[index].steps = recorded[key] ?? [] }
            }
            return runs
        }
    }

}

/// A stored row read without trust: a value of the wrong type or out of range (a file edited by hand, or by another
/// program) reads as nil, or as the fallback the reader gives, where GRDB's own subscript would stop the process.
struct StoredRow: StoredCells {
    let row: Row

    init(_ row: Row) { self.row = row }

    subscript<Value: DatabaseValueConvertible>(_ index: Int) -> Value? {
        Value.fromDatabaseValue(row[index] as DatabaseValue)
    }

    subscript<Value: DatabaseValueConvertible>(_ name: String) -> Value? {
        (row[name] as DatabaseValue?).flatMap(Value.fromDatabaseValue)
    }

    func int64(_ column: Int) -> Int64? { self[column] }
    func double(_ column: Int) -> Double? { self[column] }
    func string(_ column: Int) -> String? { self[column] }
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
