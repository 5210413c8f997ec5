@testable import BuildtimeCore
import Foundation
import GRDB
import Testing

/// Runs are one per step of a pipeline (the team key: repository, pipeline, workflow, step) as well as one per log.
struct TeamKeyTests {
    private func run(_ bytes: String, workflow: String? = nil) -> Run {
        Run(fingerprint: bytes, source: bytes + ".log", format: .text,
            metadata: RunMetadata(pipelineNumber: 7, repo: "team/app", step: "deploy", workflow: workflow),
            startedAt: nil, status: .succeeded, totalSeconds: 10, lineCount: 1, timeResolution: nil, phases: [],
            recordedAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test func theKeyIsKnownOnlyWithRepositoryPipelineAndStep() {
        #expect(RunMetadata(pipelineNumber: 7, repo: "team/app", step: "deploy").teamKey == "team/app\u{1F}7\u{1F}\u{1F}deploy")
        #expect(RunMetadata(pipelineNumber: 7, repo: "team/app", step: "deploy", workflow: "build").teamKey == "team/app\u{1F}7\u{1F}build\u{1F}deploy")
        #expect(RunMetadata(pipelineNumber: 7, repo: "team/app").teamKey == nil)
        #expect(RunMetadata(repo: "team/app", step: "deploy").teamKey == nil)
        #expect(RunMetadata(environment: ["CI_REPO": "team/app", "CI_PIPELINE_NUMBER": "7", "CI_STEP_NAME": "deploy", "CI_WORKFLOW_NAME": "build"]).workflow == "build")
    }

    /// A database written before the key may hold the same step twice: both runs stay, the first stored takes the key,
    /// and a new copy of that step is the first's duplicate.
    @Test func anOlderDatabaseKeepsItsRunsAndTheFirstOfACopyTakesTheKey() throws {
        let path = FileManager.default.temporaryDirectory.appending(path: "buildtime-teamkey-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = try SQLiteStore(path: path)
        guard case .inserted(let first) = try before.save(run("recorded")) else { Issue.record("not stored"); return }
        let stored = try #require(try before.run(id: first))
        // As a binary before 0012 left it, with the same step stored again from other bytes.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: """
                DROP INDEX run_by_team_key; ALTER TABLE run DROP COLUMN team_key; ALTER TABLE run DROP COLUMN workflow;
                DELETE FROM grdb_migrations WHERE identifier = '0012_team_key';
                INSERT INTO run (fingerprint, source, format, pipeline_number, repo, step_name, status, line_count, recorded_at, metrics_written)
                SELECT 'pulled', source, format, pipeline_number, repo, step_name, status, line_count, recorded_at, metrics_written FROM run;
                """)
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations() == Migrations.all.map(\.name))
        #expect(try store.runs(limit: nil).count == 2)
        // The run stored before reads the same, and so does its copy but for its bytes.
        #expect(try store.run(id: first) == stored)
        let copy = try #require(try store.runs(fingerprintPrefix: "pulled").first)
        #expect(copy.metadata == stored.metadata && copy.status == stored.status && copy.source == stored.source)
        #expect(try DatabaseQueue(path: path).read { try Int64.fetchOne($0, sql: "SELECT id FROM run WHERE team_key IS NOT NULL") } == first)
        #expect(try store.save(run("pulled once more")) == .duplicate(id: first))
        #expect(try store.save(run("in another workflow", workflow: "test")) != .duplicate(id: first))
    }
}
