import BuildtimeCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The PostgreSQL schema changes this binary knows, in order (`Migrations/postgresql/*.sql`, embedded at build time).
public enum PostgresMigrations {
    public static var all: [Migration] { embedded }
}

/// Runs in a PostgreSQL database that several CI agents share: the schema of the SQLite store (`RunRows` lays out
/// both), through one connection per process. Each call waits for its answer (at most `timeout` for each), so the
/// commands read it as they read SQLite; a connection that cannot be made, or a server that stops answering, is an
/// error, never a wait without end.
///
/// Two agents storing the same run (the same fingerprint) at once store it once: the second finds the first's.
/// Migrations are applied under an advisory lock, so agents that start together on a new database apply them once;
/// a database with migrations this version does not know is refused untouched.
public final class PostgresStore: RunStore, @unchecked Sendable {
    public let location: PostgresLocation
    private let connection: PostgresConnection
    private let timeout: TimeAmount
    private let logger = Logger(label: "buildtime.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    /// One statement (or transaction) at a time on the connection.
    private let lock = NSLock()

    /// buildtime's advisory lock key while migrating: "BTME", as the SQLite application id.
    static let migrationLock: Int64 = 0x4254_4D45

    /// Connects to `location` and brings its schema up to date; waits at most `timeout` seconds for the connection
    /// (and for each answer after it). With `mustExist` (the commands that only read), a database without buildtime's
    /// schema is `StoreError.missing` and left as it is: a mistyped URL never gets tables made in another database.
    public init(location: PostgresLocation, timeout: TimeInterval = 10, mustExist: Bool = false) throws {
        self.location = location
        self.timeout = .milliseconds(Int64(max(0.05, timeout) * 1000))
        openingDeadline = .now() + self.timeout
        do {
            var configuration = try Self.configuration(location)
            configuration.options.connectTimeout = self.timeout
            let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
            let connecting = PostgresConnection.connect(on: eventLoop, configuration: configuration, id: 1, logger: logger)
            // A connection that comes after the wait gave up is closed as it comes.
            connection = try Self.wait(connecting, on: eventLoop, timeout: self.timeout, onTimeout: {
                connecting.whenSuccess { let _: EventLoopFuture<Void> = $0.close() }
            })
        } catch {
            throw StoreError.cannotOpen(path: location.redacted, reason: Self.reason(of: error))
        }
        do {
            try migrate(mustExist: mustExist)
            openingDeadline = nil
        } catch let error as StoreError {
            _ = try? connection.close().wait()
            throw error
        } catch {
            _ = try? connection.close().wait()
            throw StoreError.cannotOpen(path: location.redacted, reason: Self.reason(of: error))
        }
    }

    /// The connection is closed with the store (PostgresNIO requires it closed before it goes).
    deinit {
        if !connection.isClosed { _ = try? connection.close().wait() }
    }

    private static func configuration(_ location: PostgresLocation) throws -> PostgresConnection.Configuration {
        guard let host = location.host else {
            let directory = location.socketDirectory ?? PostgresLocation.defaultSocketDirectory
            return .init(unixSocketPath: "\(directory)/.s.PGSQL.\(location.port)", username: location.user, password: location.password,
                         database: location.database)
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        let mode: PostgresConnection.Configuration.TLS
        switch location.sslMode {
        case .disable: mode = .disable
        case .allow, .prefer:
            tls.certificateVerification = .none
            mode = .prefer(try NIOSSLContext(configuration: tls))
        case .require:
            tls.certificateVerification = .none
            mode = .require(try NIOSSLContext(configuration: tls))
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            mode = .require(try NIOSSLContext(configuration: tls))
        case .verifyFull:
            mode = .require(try NIOSSLContext(configuration: tls))
        }
        return .init(host: host, port: location.port, username: location.user, password: location.password, database: location.database, tls: mode)
    }

    // MARK: waiting

    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "the server did not answer in time" }
    }

    /// The future's value, or `TimedOut` after `timeout` (then `onTimeout` runs, to close what hangs).
    private static func wait<T: Sendable>(_ future: EventLoopFuture<T>, on eventLoop: any EventLoop, timeout: TimeAmount,
                                          onTimeout: @escaping @Sendable () -> Void) throws -> T {
        let promise = eventLoop.makePromise(of: T.self)
        let deadline = eventLoop.scheduleTask(in: timeout) {
            promise.fail(TimedOut())
            onTimeout()
        }
        future.whenComplete { result in
            deadline.cancel()
            promise.completeWith(result)
        }
        return try promise.futureResult.wait()
    }

    private func wait<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let connection = connection
        // While opening, every wait ends by the one deadline of the whole opening.
        let left = openingDeadline.map { max(.nanoseconds(0), $0 - .now()) } ?? timeout
        return try Self.wait(future, on: connection.eventLoop, timeout: min(timeout, left), onTimeout: { let _: EventLoopFuture<Void> = connection.close() })
    }

    /// When the opening (connecting and migrating) must be over: `timeout` after it began, in all.
    private var openingDeadline: NIODeadline?

    /// The rows of one statement, its `$n` bound to `values`.
    @discardableResult
    private func query(_ sql: String, _ values: [StoredValue] = []) throws -> [PostgresRow] {
        try wait(connection.query(PostgresQuery(unsafeSQL: sql, binds: Self.bindings(values)), logger: logger)).rows
    }

    /// Calls `body` with each row of one statement as it arrives (on the connection's event loop).
    private func forEachRow(_ sql: String, _ values: [StoredValue] = [], _ body: @escaping @Sendable (PostgresRow) -> Void) throws {
        _ = try wait(connection.query(PostgresQuery(unsafeSQL: sql, binds: Self.bindings(values)), logger: logger, body))
    }

    private static func bindings(_ values: [StoredValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            }
        }
        return bindings
    }

    /// Runs `body` on the connection alone, in a transaction when `transaction`: all or none.
    @discardableResult
    private func exclusive<T>(transaction: Bool = false, _ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard transaction else { return try body() }
        try query("BEGIN")
        do {
            let value = try body()
            try query("COMMIT")
            return value
        } catch {
            _ = try? query("ROLLBACK")
            throw error
        }
    }

    // MARK: schema

    /// Applies the missing migrations under an advisory lock (agents starting together apply each once); refuses a
    /// database with migrations this version does not know, or with a `run` table that is not buildtime's.
    private func migrate(mustExist: Bool) throws {
        let known = PostgresMigrations.all
        try exclusive(transaction: true) {
            try query("SELECT pg_advisory_xact_lock($1)", [.integer(Self.migrationLock)])
            let tables = Set(try query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()")
                .compactMap { Cells($0).string(0) })
            if !tables.contains("buildtime_migration") {
                if tables.contains("run") { throw StoreError.notBuildtime(path: location.redacted) }
                if mustExist { throw StoreError.missing(path: location.redacted) }
                try query("CREATE TABLE buildtime_migration (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)")
            }
            let applied = Set(try query("SELECT name FROM buildtime_migration").compactMap { Cells($0).string(0) })
            let unknown = applied.subtracting(known.map(\.name))
            if !unknown.isEmpty { throw StoreError.newerSchema(path: location.redacted, unknownMigrations: Array(unknown)) }
            for migration in known where !applied.contains(migration.name) {
                for statement in Self.statements(of: migration.sql) { try query(statement) }
                try query("INSERT INTO buildtime_migration (name, applied_at) VALUES ($1, $2)", [.text(migration.name), .real(Date().timeIntervalSince1970)])
            }
        }
    }

    /// The statements of a migration file: comments removed, split at each semicolon that ends a line.
    static func statements(of sql: String) -> [String] {
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard let comment = line.range(of: "--") else { return line }
            return line[..<comment.lowerBound]
        }
        var statements: [String] = [], current = ""
        for line in lines {
            current += line + "\n"
            if line.trimmingCharacters(in: .whitespaces).hasSuffix(";") {
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines).dropLast()
                if !statement.isEmpty { statements.append(String(statement)) }
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    /// The names of the migrations applied to this database, in order.
    public func appliedMigrations() throws -> [String] {
        try exclusive { try query("SELECT name FROM buildtime_migration ORDER BY name").compactMap { Cells($0).string(0) } }
    }

    /// `INSERT INTO table (columns) VALUES ($1, ...)`.
    static func insertSQL(_ table: String, _ columns: [String]) -> String {
        "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\((1...columns.count).map { "$\($0)" }.joined(separator: ", ")))"
    }

    // MARK: writing

    public func save(_ run: Run) throws -> SaveOutcome {
        try save([run])[0]
    }

    /// Stores the runs in one transaction, all or none, in a few statements per table (a page of `push` is a few
    /// round trips, not one per row).
    public func save(_ runs: [Run]) throws -> [SaveOutcome] {
        guard !runs.isEmpty else { return [] }
        return try exclusive(transaction: true) {
            // Another agent may be storing the same run at this moment: the unique indexes of the fingerprint and the
            // team key make one of the two inserts find the other's row (after its commit) instead of a second copy.
            var inserted: [String: Int64] = [:]
            for row in try insertRows("run", RunRows.runInsertColumns, runs.map(RunRows.values(of:)),
                                      suffix: " ON CONFLICT DO NOTHING RETURNING id, fingerprint") {
                let cells = Cells(row)
                if let id = cells.int64(0), let fingerprint = cells.string(1) { inserted[fingerprint] = id }
            }
            var outcomes: [SaveOutcome] = []
            var children: (phases: [[StoredValue]], images: [[StoredValue]], steps: [[StoredValue]], metrics: [[StoredValue]]) = ([], [], [], [])
            var missing: [String] = []
            for run in runs {
                // The same log twice in one call is stored once.
                guard let id = inserted.removeValue(forKey: run.fingerprint) else {
                    outcomes.append(.duplicate(id: -1))
                    missing.append(run.fingerprint)
                    continue
                }
                outcomes.append(.inserted(id: id))
                children.phases += run.phases.enumerated().map { RunRows.values(of: $1, position: $0, runID: id) }
                for (position, image) in run.images.enumerated() {
                    children.images.append(RunRows.values(of: image, position: position, runID: id))
                    children.steps += image.steps.enumerated().map { RunRows.values(of: $1, position: $0, image: position, runID: id) }
                }
                children.metrics += RunRows.metricValues(of: run, id: id)
            }
            try insertRows("phase", RunRows.phaseInsertColumns, children.phases)
            try insertRows("image_build", RunRows.imageInsertColumns, children.images)
            try insertRows("build_step", RunRows.stepInsertColumns, children.steps)
            try insertRows("metric", RunRows.metricInsertColumns, children.metrics, suffix: " ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value")
            // The alerting metrics beside the run, as the report reads them (migration 0003).
            let ids = outcomes.compactMap { outcome -> Int64? in if case .inserted(let id) = outcome { id } else { nil } }
            if !ids.isEmpty {
                try query("UPDATE run SET alerting = \(Self.alertingText) WHERE id IN (\(ids.map(String.init).joined(separator: ",")))")
            }
            guard !missing.isEmpty else { return outcomes }
            // Each run not stored is there by its fingerprint or by its team key.
            let notStored = Set(missing)
            let keys = runs.filter { notStored.contains($0.fingerprint) }.compactMap(\.metadata.teamKey)
            var existing: [String: Int64] = [:], byKey: [String: Int64] = [:]
            let marks = (1...missing.count).map { "$\($0)" }.joined(separator: ", ")
            let keyMarks = keys.isEmpty ? "NULL" : (1...keys.count).map { "$\(missing.count + $0)" }.joined(separator: ", ")
            for row in try query("SELECT fingerprint, id, team_key FROM run WHERE fingerprint IN (\(marks)) OR team_key IN (\(keyMarks))",
                                 missing.map { .text($0) } + keys.map { .text($0) }) {
                let cells = Cells(row)
                guard let fingerprint = cells.string(0), let id = cells.int64(1) else { continue }
                existing[fingerprint] = id
                if let key = cells.string(2) { byKey[key] = id }
            }
            return zip(runs, outcomes).map { run, outcome in
                guard case .duplicate = outcome else { return outcome }
                return .duplicate(id: existing[run.fingerprint] ?? run.metadata.teamKey.flatMap { byKey[$0] } ?? -1)
            }
        }
    }

    /// Writes many rows of one table in as few statements as the bind limit allows; the rows the statements return.
    @discardableResult
    private func insertRows(_ table: String, _ columns: [String], _ rows: [[StoredValue]], suffix: String = "") throws -> [PostgresRow] {
        var returned: [PostgresRow] = []
        let perStatement = max(1, 30_000 / columns.count)
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            var placeholders: [String] = []
            var number = 0
            for _ in chunk {
                placeholders.append("(" + columns.map { _ in number += 1; return "$\(number)" }.joined(separator: ", ") + ")")
            }
            returned += try query("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(placeholders.joined(separator: ", "))\(suffix)", chunk.flatMap { $0 })
        }
        return returned
    }

    public func backfillMetrics(batch: Int = 500, progress: (_ done: Int, _ of: Int) -> Void = { _, _ in }) throws -> Int {
        // Every run in a PostgreSQL store was written with its metric rows (there was never a version without them).
        0
    }

    public func save(_ step: RecordedStep) throws {
        try exclusive { try query(Self.insertSQL("step", RunRows.recordedStepInsertColumns), RunRows.values(of: step)) }
    }

    public func markExported(runIDs: [Int64], target: String, at date: Date) throws {
        guard !runIDs.isEmpty else { return }
        try exclusive(transaction: true) {
            for id in runIDs {
                try query("""
                    INSERT INTO export (run_id, target, sent_at) SELECT id, $1, $2 FROM run WHERE id = $3
                    ON CONFLICT (run_id, target) DO UPDATE SET sent_at = excluded.sent_at
                    """, [.text(target), .real(date.timeIntervalSince1970), .integer(id)])
            }
        }
    }

    public func delete(runIDs: [Int64]) throws -> [Int64] {
        try exclusive(transaction: true) {
            var deleted: [Int64] = []
            for id in runIDs where !deleted.contains(id) {
                guard let row = try query("DELETE FROM run WHERE id = $1 RETURNING run_key", [.integer(id)]).first else { continue }
                if let key = Cells(row).string(0),
                   try query("SELECT count(*) FROM run WHERE run_key = $1", [.text(key)]).first.flatMap({ Cells($0).int64(0) }) == 0 {
                    try query("DELETE FROM step WHERE run_key = $1", [.text(key)])
                }
                deleted.append(id)
            }
            return deleted
        }
    }

    // MARK: reading

    public func runs(limit: Int?) throws -> [Run] {
        try fetchRuns(where: "TRUE", [], limit: limit)
    }

    public func runs(limit: Int, before cursor: RunCursor?) throws -> [Run] { try runs(limit: limit, before: cursor, repo: nil) }

    public func runs(limit: Int, before cursor: RunCursor?, repo: String?, parts: RunParts) throws -> [Run] {
        var conditions: [String] = [], values: [StoredValue] = []
        if let cursor {
            conditions.append("(coalesce(started_at, recorded_at) < $1 OR (coalesce(started_at, recorded_at) = $1 AND id < $2))")
            values += [.real(cursor.time), .integer(cursor.id)]
        }
        if let repo {
            values.append(.text(repo))
            conditions.append("repo = $\(values.count)")
        }
        return try fetchRuns(where: conditions.isEmpty ? "TRUE" : conditions.joined(separator: " AND "), values, limit: limit, parts: parts)
    }

    public func run(id: Int64) throws -> Run? {
        try fetchRuns(where: "id = $1", [.integer(id)], limit: 1).first
    }

    public func runs(fingerprintPrefix prefix: String) throws -> [Run] {
        try fetchRuns(where: "fingerprint LIKE $1 ESCAPE '\\'", [.text(Self.likePrefix(prefix))], limit: nil)
    }

    public func runs(pipeline number: Int) throws -> [Run] {
        try fetchRuns(where: "pipeline_number = $1", [.integer(Int64(number))], limit: nil)
    }

    public func runs(commitPrefix prefix: String) throws -> [Run] {
        try fetchRuns(where: "commit_sha LIKE $1 ESCAPE '\\'", [.text(Self.likePrefix(prefix.lowercased()))], limit: nil)
    }

    private static func likePrefix(_ prefix: String) -> String {
        prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    /// Reads runs with their phases, image builds and steps (only phases for `.phases`): one query per table for the whole selection.
    private func fetchRuns(where condition: String, _ arguments: [StoredValue], limit: Int?, parts: RunParts = .whole) throws -> [Run] {
        try exclusive {
            var selection = "SELECT id FROM run WHERE \(condition) ORDER BY coalesce(started_at, recorded_at) DESC, id DESC"
            if let limit { selection += " LIMIT \(max(0, limit))" }
            let order = "ORDER BY coalesce(started_at, recorded_at) DESC, id DESC"
            var children = RunChildren()
            var runs = try query("SELECT \(RunRows.runColumns) FROM run WHERE id IN (\(selection)) \(order)", arguments).map { children.run(from: Cells($0)) }
            guard !runs.isEmpty else { return runs }
            let selected = "run_id IN (\(selection))"
            let queries = RunChildren.queries(selected)
            for row in try query(queries.phases, arguments) { children.addPhase(Cells(row)) }
            guard parts == .whole else {
                children.attach(to: &runs)
                return runs
            }
            for row in try query(queries.steps, arguments) { children.addStep(Cells(row)) }
            for row in try query(queries.images, arguments) { children.addImage(Cells(row)) }
            children.attach(to: &runs)
            for index in runs.indices {
                if let key = runs[index].runKey { runs[index].steps = try recordedSteps(runKey: key) }
            }
            return runs
        }
    }

    public func points(limit: Int?) throws -> [RunPoint] { try points(limit: limit, repo: nil) }

    public func points(limit: Int?, repo: String?) throws -> [RunPoint] {
        try exclusive {
            // PostgreSQL compiles a query this large to machine code first (JIT, on by default since 12): most of a
            // second for a scan that takes a quarter of one. (A server before 11 has no such setting: nothing to do.)
            _ = try? query("SET jit = off")
            let condition = repo == nil ? "" : " WHERE repo = $1", values = repo.map { [StoredValue($0)] } ?? []
            // A limit no smaller than the runs there are is none (`report --history 100000`).
            var limit = limit
            if let wanted = limit, let stored = try query("SELECT count(*) FROM run" + condition, values).first.flatMap({ Cells($0).int64(0) }),
               stored <= wanted { limit = nil }
            let limited = limit.map { " LIMIT \(max(0, $0))" } ?? ""
            // One row per run with its alerting metrics as one text (`alertingText`, kept beside the run since
            // migration 0003, else gathered from the metric table): a year of runs is one scan of 100,000 rows, each
            // read as it arrives, on the connection's thread.
            let sql = """
                SELECT \(RunRows.pointColumns), coalesce(alerting, \(Self.alertingText))
                FROM run\(condition)\(limit == nil ? "" : " ORDER BY coalesce(started_at, recorded_at) DESC, id DESC")\(limited)
                """
            final class Gathered: @unchecked Sendable {
                var points: [RunPoint] = []
                /// The metrics met so far by the FNV-1a hash of their names' bytes (a few dozen names, 100,000 runs):
                /// one String made per name, not per row.
                var names: [UInt64: Metric] = [:]
            }
            let gathered = Gathered()
            try forEachRow(sql, values) { row in
                let cells = Cells(row)
                guard var point = RunRows.point(from: cells) else { return }
                if cells.row.count > 10, let bytes = cells.row[10].bytes {
                    bytes.withUnsafeReadableBytes { text in
                        Self.forEachMetric(in: text) { name, value in
                            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
                            for byte in name { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
                            // Checked against the name, so that two names of one hash never become one metric.
                            let metric: Metric
                            if let known = gathered.names[hash], known.name.utf8.elementsEqual(name) { metric = known } else {
                                metric = Metric(String(decoding: name, as: UTF8.self))
                                gathered.names[hash] = metric
                            }
                            point.metrics[metric] = value
                        }
                    }
                }
                gathered.points.append(point)
            }
            // Every run is wanted: the rows came as the server scanned them (its sort would hold back the first row
            // until the last was read), in the order sorted here.
            guard limit == nil else { return gathered.points.reversed() }
            return gathered.points.sorted {
                let (a, b) = (($0.startedAt ?? $0.recordedAt).timeIntervalSince1970, ($1.startedAt ?? $1.recordedAt).timeIntervalSince1970)
                return a < b || a == b && ($0.id ?? 0) < ($1.id ?? 0)
            }
        }
    }

    /// The `name=value` pairs of `text`, apart by the unit separator (byte 31).
    /// A run's alerting metrics as one text, `name=value` pairs apart by the unit separator (which no name holds),
    /// from the partial index `metric_alerting`. PostgreSQL writes a float8 as text in its shortest exact form.
    static let alertingText = """
        coalesce((SELECT string_agg(m.name || '=' || m.value::text, chr(31) ORDER BY m.name) FROM metric m
                  WHERE m.run_id = run.id AND (m.name = 'total' OR m.name LIKE 'phase:%')), '')
        """

    private static func forEachMetric(in text: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Double) -> Void) {
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count, text[end] != 31 { end += 1 }
            var equals = end - 1
            while equals > start, text[equals] != UInt8(ascii: "=") { equals -= 1 }
            if equals > start, let value = Double(String(decoding: UnsafeRawBufferPointer(rebasing: text[(equals + 1)..<end]), as: UTF8.self)) {
                body(UnsafeRawBufferPointer(rebasing: text[start..<equals]), value)
            }
            start = end + 1
        }
    }

    public func steps(runKey: String) throws -> [RecordedStep] {
        try exclusive { try recordedSteps(runKey: runKey) }
    }

    private func recordedSteps(runKey: String) throws -> [RecordedStep] {
        try query("SELECT \(RunRows.recordedStepColumns) FROM step WHERE run_key = $1 ORDER BY started_at, id", [.text(runKey)])
            .map { RunRows.recordedStep(from: Cells($0), runKey: runKey) }
    }

    public func previousCommit(branch: String?) throws -> String? {
        try exclusive {
            try query("""
                SELECT commit_sha FROM run WHERE commit_sha IS NOT NULL AND ($1::text IS NULL OR branch = $1::text)
                ORDER BY coalesce(started_at, recorded_at) DESC, id DESC LIMIT 1
                """, [StoredValue(branch)]).first.flatMap { Cells($0).string(0) }
        }
    }

    public func exported(runIDs: [Int64], target: String) throws -> Set<Int64> {
        guard !runIDs.isEmpty else { return [] }
        return try exclusive {
            var found = Set<Int64>()
            for start in stride(from: 0, to: runIDs.count, by: 10_000) {
                let chunk = runIDs[start..<min(start + 10_000, runIDs.count)]
                let marks = (2...(chunk.count + 1)).map { "$\($0)" }.joined(separator: ",")
                for row in try query("SELECT run_id FROM export WHERE target = $1 AND run_id IN (\(marks))", [.text(target)] + chunk.map { .integer($0) }) {
                    if let id = Cells(row).int64(0) { found.insert(id) }
                }
            }
            return found
        }
    }

    /// Whether `error` came from a PostgreSQL store (the server, the connection, or a wait that ran out).
    public static func isItsError(_ error: any Error) -> Bool { error is PSQLError || error is TimedOut || error is PostgresDecodingError }

    /// One line that says what went wrong: the server's own message, else what the client saw.
    public static func reason(of error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return "PostgreSQL error \(error.serverInfo?[.sqlState] ?? "?"): \(message)"
            }
            switch error.code {
            case .connectionError:
                // The connection's own timeout and ours say the same: the server did not answer in time.
                let reason = error.underlying.map(Self.connectionReason) ?? "no reason given"
                return reason == TimedOut().description ? reason : "cannot connect: " + reason
            case .serverClosedConnection, .clientClosedConnection: return "the connection was closed"
            case .authMechanismRequiresPassword: return "the server wants a password (in the URL, PGPASSWORD or ~/.pgpass)"
            case .sslUnsupported: return "the server does not support TLS (sslmode=disable to connect without)"
            default: return "\(error.code)"
            }
        }
        if error is TimedOut { return "the server did not answer in time" }
        if let error = error as? StoreError { return error.description }
        return String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

extension PostgresStore {
    /// Why a connection could not be made, in the system's words ("Connection refused").
    static func connectionReason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? NIOConnectionError {
            if let failure = error.connectionErrors.first { return connectionReason(failure.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "no host \(error.host) (the name does not resolve)" }
        }
        if case .connectTimeout? = error as? ChannelError { return TimedOut().description }
        return String(describing: error)
    }
}

/// A PostgreSQL row's cells by position; a value of another type than asked for reads as nil.
struct Cells: StoredCells {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func int64(_ column: Int) -> Int64? {
        guard column < row.count else { return nil }
        return try? row[column].decode(Int64?.self)
    }

    func double(_ column: Int) -> Double? {
        guard column < row.count else { return nil }
        if let value = try? row[column].decode(Double?.self) { return value }
        return (try? row[column].decode(Int64?.self))?.map(Double.init)
    }

    func string(_ column: Int) -> String? {
        guard column < row.count else { return nil }
        return try? row[column].decode(String?.self)
    }
}
