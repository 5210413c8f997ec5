import Foundation
import GRDB
import Testing

@Suite struct IngestCommandTests {
    @Test func samplesAreStoredOnceAndListed() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let sampleCount = try FileManager.default.contentsOfDirectory(atPath: BinaryRunner.repositoryRoot.appending(path: "samples/logs").path).count
        let first = try runner.run(["ingest", "samples/logs"])
        #expect(first.status == 0, "\(first.stderr)")
        let stored = first.stdout.split(separator: "\n")
        #expect(stored.count == sampleCount)
        #expect(stored.allSatisfy { $0.hasPrefix("stored ") })
        #expect(first.stdout.contains("samples/logs/cold.log  (text, 365 lines)  total 3m34s  build 3m21s  deploy 13.2s"))
        #expect(first.stderr == "\(sampleCount) stored, 0 already present, 0 failed\n")

        let second = try runner.run(["ingest", "samples/logs"])
        #expect(second.status == 0)
        #expect(second.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("unchanged ") && $0.hasSuffix("already stored, nothing added") })
        #expect(second.stderr == "0 stored, \(sampleCount) already present, 0 failed\n")

        let list = try runner.run(["runs", "--limit", "50", "--format", "json"])
        #expect(list.status == 0)
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(runs.count == sampleCount)
        let cold = try #require(runs.first { ($0["source"] as? String) == "samples/logs/acme-trading-dashboard-141-deploy.json" })
        #expect(cold["pipeline"] as? Int == 141)
        #expect(cold["format"] as? String == "woodpecker-json")
        #expect(cold["totalSeconds"] as? Double == 213)
        let phases = try #require(cold["phases"] as? [[String: Any]])
        #expect(phases.map { $0["name"] as? String } == ["build", "deploy"])
        #expect(phases.map { $0["durationSeconds"] as? Double } == [200, 13])
        let unmeasured = try #require(runs.first { ($0["source"] as? String)?.hasSuffix("150-deploy.log") == true })
        #expect(unmeasured["totalSeconds"] is NSNull)
    }

    @Test func oneBadFileIsReportedAndTheOthersAreStored() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let good = try runner.write("logs/good.log", "[10:00:00.000] Building Docker images in parallel...\n[10:00:40.000] ✅ All images built and tagged\n")
        let truncated = try runner.write("logs/truncated.json", "[\n{\"id\":1,\"step_id\":2,\"time\":0,\"line\":0,\"data\":\"YQ==\",\"type\":0},\n{\"id\":2,\"st")
        let empty = try runner.write("logs/empty.log", "")
        let result = try runner.run(["ingest", runner.directory.appending(path: "logs").path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("stored     run 1  \(good)"))
        #expect(result.stderr.contains("\(truncated):3: truncated JSON: the log entry starting here never ends\n"))
        #expect(result.stderr.contains("\(empty):1: empty log: nothing to read\n"))
        #expect(result.stderr.hasSuffix("1 stored, 0 already present, 2 failed\n"))
        let list = try runner.run(["runs"])
        #expect(list.stdout.contains("40.0s"))
    }

    @Test func standardInputAndMetadataFlags() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let log = "2026-11-02T09:14:03.000Z Building Docker images in parallel...\n2026-11-02T09:14:50.500Z ✅ All images built and tagged\n"
        let result = try runner.run(["ingest", "-", "--pipeline", "321", "--commit", "0123456789abcdef", "--branch", "main", "--repo", "acme/app"], stdin: log)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("stored     run 1  -  (text, 2 lines)  total 47.5s  build 47.5s  deploy end marker missing"))
        let show = try runner.run(["show", "latest", "--format", "json"])
        let run = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        #expect(run["pipeline"] as? Int == 321)
        #expect(run["commit"] as? String == "0123456789abcdef")
        #expect(run["repo"] as? String == "acme/app")
        #expect(run["startedAt"] as? String == "2026-11-02T09:14:03.000Z")
        #expect(run["status"] as? String == "incomplete")
        let table = try runner.run(["show", "1"])
        #expect(table.stdout.contains("deploy  +47.5s         —  2–?    end marker not found"))
        #expect(table.stdout.contains("commit    0123456789abcdef"))
    }

    @Test func perRunFlagsNeedASingleLog() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let result = try runner.run(["ingest", "samples/logs", "--pipeline", "3"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--pipeline, --commit and --started-at describe one run"))
        let badDate = try runner.run(["ingest", "samples/logs/cold.log", "--started-at", "yesterday"])
        #expect(badDate.status == 64)
    }

    @Test func configurationFileDefinesThePhases() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let config = try runner.write("phases.yml", """
            phases:
              - name: pull
                start: {regex: "^#[0-9]+ \\\\[1/7\\\\] FROM"}
                end: "All images built"
            """)
        let result = try runner.run(["ingest", "samples/logs/cold.log", "--config", config])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("pull 3m20s"))
        let bad = try runner.write("bad.yml", "phases:\n  - name: x\n")
        let failed = try runner.run(["ingest", "samples/logs/cold.log", "--config", bad])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("\(bad):2: each phase needs 'name', 'start' and 'end'"))
    }

    @Test func theBinaryWorksCopiedAloneToAnotherFolder() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let copy = runner.directory.appending(path: "bin/buildtime")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: BinaryRunner.binary, to: copy)
        let result = try runner.run(["ingest", "samples/logs/requirements.log"], binary: copy)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("build 1m45s"))
        let applied = try DatabaseQueue(path: runner.database.path).read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied.first == "0001_runs_and_phases")
    }

    @Test func aNewerDatabaseIsRefusedUntouched() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["ingest", "samples/logs/requirements.log"]).status == 0)
        try DatabaseQueue(path: runner.database.path).write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('0999_future')") }
        let before = try Data(contentsOf: runner.database)
        let result = try runner.run(["ingest", "samples/logs/cold.log"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("was written by a newer buildtime"))
        #expect(try Data(contentsOf: runner.database) == before)
    }

    @Test func helpListsTheCommands() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let result = try runner.run(["--help"])
        #expect(result.status == 0)
        for command in ["ingest", "runs", "show"] { #expect(result.stdout.contains("  \(command) ")) }
    }
}

@Suite struct ClassifyCommandTests {
    @Test func classifiesWithoutTouchingTheDatabase() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let result = try runner.run(["classify", "samples/logs/requirements-prefixed-streams.log", "samples/logs/cold-failed-uv-resolution.log"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("samples/logs/requirements-prefixed-streams.log: requirements (high confidence, from the build)"))
        #expect(result.stdout.contains("trading-dashboard-flask:latest  buildkit  requirements      6       3  ran"))
        #expect(result.stdout.contains("failed at [6/7] RUN uv pip install --system -r requirements.txt:"))
        #expect(result.stdout.contains("× No solution found when resolving dependencies:"))
        #expect(!FileManager.default.fileExists(atPath: runner.database.path))
    }

    @Test func jsonAndChangedFiles() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let log = try runner.write("plain.log", "[10:00:00.000] Building Docker images in parallel...\n[10:00:45.000] ✅ All images built and tagged\n[10:00:57.000] ✅ All containers deployed successfully\n")
        let byFiles = try runner.run(["classify", log, "--changed-files", "app/main.py, requirements.txt", "--format", "json"])
        #expect(byFiles.status == 0, "\(byFiles.stderr)")
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(byFiles.stdout.utf8)) as? [[String: Any]])
        let classification = try #require(runs.first?["classification"] as? [String: Any])
        #expect(classification["class"] as? String == "requirements")
        #expect(classification["source"] as? String == "changes")
        #expect((classification["evidence"] as? [String])?.first == "requirement files changed: requirements.txt")
        let fact = try #require((classification["facts"] as? [[String: Any]])?.first)
        #expect(fact["kind"] as? String == "requirement-files-changed" && fact["files"] as? [String] == ["requirements.txt"])

        let byDuration = try runner.run(["classify", log])
        #expect(byDuration.stdout.contains("code-only (low confidence, from the duration)"))
        #expect(byDuration.stdout.contains("build 45.0s is within the code-only budget (30.0s–1m00s)"))
        #expect(byDuration.stdout.contains("no Docker build output found"))
    }

    @Test func unreadableFilesFail() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let result = try runner.run(["classify", "/nonexistent.log"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("/nonexistent.log: cannot open"))
    }
}
