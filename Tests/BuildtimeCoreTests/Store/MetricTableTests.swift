import Foundation
import GRDB
import Testing
@testable import BuildtimeCore

/// The metric table (migration 0008): one row per run and metric, written with the run; older databases backfilled;
/// the report read from it is the report read from whole runs.
@Suite struct MetricTableTests {
    /// The sample history in a store file of its own.
    static func historyStore() throws -> (SQLiteStore, path: String, runs: [Run]) {
        let path = FileManager.default.temporaryDirectory.appending(path: "buildtime-metrics-\(UUID().uuidString)/db.sqlite").path
        let store = try SQLiteStore(path: path)
        let directory = Fixtures.samples.appending(path: "history")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".log.gz") }.sorted()
        for file in files { _ = try Ingester(configuration: .default).ingest(path: directory.appending(path: file).path, into: store) }
        return (store, path, try store.runs(limit: nil))
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }

    @Test func eachRunsMetricsAreWrittenWithItAndReadBackAsItsPoint() throws {
        let (store, path, runs) = try Self.historyStore()
        defer { Self.remove(path) }
        #expect(runs.count >= 60)
        let whole = RegressionAnalyzer.chronological(runs).map(RunPoint.init)
        let points = try store.points(limit: nil)
        #expect(points == whole.map(\.alerting))
        #expect(points.contains { $0.metrics.keys.contains(.phase("deploy")) })
        // The rows hold every metric, with the run's class, status, repository and time.
        let queue = try DatabaseQueue(path: path)
        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT m.class IS r.class AND m.status = r.status AND m.repo IS r.repo AND m.at = coalesce(r.started_at, r.recorded_at) AS same FROM metric m JOIN run r ON r.id = m.run_id")
        }
        #expect(rows.count == whole.reduce(0) { $0 + $1.metrics.count })
        #expect(rows.allSatisfy { $0["same"] == true })
        for point in whole.prefix(8) {
            let stored = try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT name, value FROM metric WHERE run_id = ?", arguments: [point.id!]).map { (Metric($0["name"]), $0["value"] as Double) }
            }
            #expect(Dictionary(uniqueKeysWithValues: stored) == point.metrics)
        }
        // The report's read of every run comes from one index, not from the run table.
        let plan = try queue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteStore.pointsSQL("") + " LIMIT 10").map { $0["detail"] as String }
        }
        #expect(plan == ["SCAN run USING COVERING INDEX run_points"])
        // Their alerting metrics from a small one of their own, in the order of the runs.
        #expect(try queue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteStore.alertingSQL).map { $0["detail"] as String }
        } == ["SCAN metric USING COVERING INDEX metric_alerting"])
        // A limit takes the newest.
        #expect(try store.points(limit: 10) == Array(points.suffix(10)))
        // Deleting a run deletes its rows.
        _ = try store.delete(runIDs: [points[0].id!])
        #expect(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM metric WHERE run_id = ?", arguments: [points[0].id!]) } == 0)
    }

    @Test func theReportFromTheMetricTableIsTheReportFromWholeRuns() throws {
        let (store, path, runs) = try Self.historyStore()
        defer { Self.remove(path) }
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        var loads: [[Int64]] = []
        for filters in [Report.Filters(last: 20), Report.Filters(last: 64), Report.Filters(last: 5, runClass: .codeOnly)] {
            let whole = Report(history: runs, analyzer: RegressionAnalyzer(), filters: filters, generatedAt: date)
            var loaded: [Int64] = []
            let series = Report(points: try store.points(limit: nil), analyzer: RegressionAnalyzer(), filters: filters, generatedAt: date) { point in
                loaded.append(point.id!)
                return try? store.run(id: point.id!)
            }
            #expect(series == whole)
            #expect(!whole.runs.isEmpty)
            loads.append(loaded)
        }
        // Each whole run is read once at most; for the five newest code-only runs, those and the runs their causes
        // compare, not the whole history (34 of 64 today); for all 64 shown, every one.
        #expect(loads.allSatisfy { Set($0).count == $0.count })
        #expect(loads[2].count < runs.count)
        #expect(Set(loads[1]).count == runs.count)
    }

    /// What a binary before the metric table leaves: no metric table, no column, no points index, no record of
    /// migrations 0008 and 0009.
    static func makeOld(_ path: String) throws {
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: """
                DROP TABLE export; DROP INDEX run_points; DROP INDEX run_metrics_pending; DROP INDEX metric_alerting; DROP TABLE metric;
                DROP INDEX run_by_team_key; ALTER TABLE run DROP COLUMN team_key; ALTER TABLE run DROP COLUMN workflow;
                ALTER TABLE run DROP COLUMN metrics_written;
                DELETE FROM grdb_migrations WHERE identifier IN ('0008_metrics', '0009_run_points', '0010_exports', '0011_alerting_points', '0012_team_key');
                """)
            #expect(try Row.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name IN ('metric', 'run_points')").isEmpty)
        }
    }

    @Test func aDatabaseFromBeforeTheAlertingIndexGetsItAndReadsTheSamePoints() throws {
        let (store, path, _) = try Self.historyStore()
        defer { Self.remove(path) }
        let expected = try store.points(limit: nil), newest = try store.points(limit: 7)
        // As a binary before 0011 left it.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DROP INDEX metric_alerting; DELETE FROM grdb_migrations WHERE identifier = '0011_alerting_points'")
            #expect(try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteStore.alertingSQL).map { $0["detail"] as String } == ["SCAN metric"])
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.appliedMigrations() == Migrations.all.map(\.name))
        #expect(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'metric_alerting'") } == 1)
        #expect(try reopened.points(limit: nil) == expected)
        #expect(try reopened.points(limit: 7) == newest)
    }

    @Test func anOlderDatabaseIsBackfilledOnceInBatchesAndAnInterruptedBackfillGoesOn() throws {
        let (store, path, runs) = try Self.historyStore()
        defer { Self.remove(path) }
        let expected = try store.points(limit: nil)
        try Self.makeOld(path)
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.appliedMigrations() == Migrations.all.map(\.name))
        // Interrupted after some batches: those runs are done, the rest is not.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE run SET metrics_written = 1 WHERE id <= 20")
        }
        var calls: [(Int, Int)] = []
        let written = try reopened.backfillMetrics(batch: 16) { calls.append(($0, $1)) }
        #expect(written == runs.count - 20)
        #expect(calls.map(\.1).allSatisfy { $0 == runs.count - 20 } && calls.last?.0 == runs.count - 20 && calls.count == (runs.count - 20 + 15) / 16)
        #expect(try reopened.backfillMetrics(batch: 16) { _, _ in } == 0)
        // The first 20 were marked done without their rows here: a real interruption leaves rows with each mark.
        let points = try reopened.points(limit: nil)
        #expect(Array(points.filter { $0.id! > 20 }) == expected.filter { $0.id! > 20 })

        // Reading points backfills by itself.
        try Self.makeOld(path)
        let again = try SQLiteStore(path: path)
        #expect(try again.points(limit: nil) == expected)
    }
}
