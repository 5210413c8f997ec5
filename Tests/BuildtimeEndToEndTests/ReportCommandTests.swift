import Foundation
import Testing

@Suite struct ReportCommandTests {
    static let history = BinaryRunner.repositoryRoot.appending(path: "samples/history")

    /// The sample history's logs up to and including `pipeline`.
    static func logs(through pipeline: Int = .max) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: history.path).filter { $0.hasSuffix(".log.gz") }.sorted()
            .filter { Int($0.prefix(3))! <= pipeline }.map { history.appending(path: $0).path }
    }

    @Test func theSampleHistoryReportShowsTheShiftTheRegressionsAndTheHints() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["ingest"] + Self.logs()).status == 0)

        let table = try runner.run(["report", "--last", "64"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.hasPrefix("64 runs: 5 regressions, 0 improvements, 3 over budget, 1 level shift, 11 hints\n"))
        #expect(table.stdout.contains("since pipeline #240 (commit 19154b5) code-only runs take 1m06s instead of 44.0s (+51%)"))
        #expect(table.stdout.contains("regression (shift)"))
        // It fits 100 columns; --wide has every column in full.
        #expect(table.stdout.split(separator: "\n").allSatisfy { $0.count <= 100 }, "\(table.stdout.split(separator: "\n").filter { $0.count > 100 })")
        let wide = try runner.run(["report", "--last", "64", "--wide"])
        #expect(wide.stdout.contains("regression (level shift)") && wide.stdout.contains(" PIPELINE ") && wide.stdout.contains("follows the level shift of pipeline #240"))
        #expect(wide.stdout.split(separator: "\n").contains { $0.count > 100 })
        #expect(table.stdout.contains("#226 the build cache is large [build-cache-large]"))
        #expect(!table.stdout.contains("\u{1B}["), "NO_COLOR and a file are not a terminal")

        let json = try runner.run(["report", "--last", "64", "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["schemaVersion"] as? Int == 2)
        let summary = try #require(document["summary"] as? [String: Any])
        #expect(summary["regressions"] as? Int == 5)
        #expect(summary["newestRegressed"] as? Bool == false)
        let runs = try #require(document["runs"] as? [[String: Any]])
        #expect(runs.count == 64)
        #expect(runs.first?["pipeline"] as? Int == 263)
        let shifted = try #require(runs.first { $0["pipeline"] as? Int == 240 })
        #expect(shifted["verdict"] as? String == "regression")
        #expect((shifted["cause"] as? [String: Any])?["phase"] != nil)
        #expect((shifted["note"] as? [String: Any])?["kind"] as? String == "starts-level-shift")
        // Hints are facts, with the sentences made of them for display.
        let hinted = try #require(runs.first { $0["pipeline"] as? Int == 226 }?["hints"] as? [[String: Any]])
        let cache = try #require(hinted.first { $0["kind"] as? String == "build-cache-large" })
        let fact = try #require((cache["facts"] as? [[String: Any]])?.first)
        #expect(fact["kind"] as? String == "build-cache" && (fact["bytes"] as? Double ?? 0) > 20e9 && fact["host"] == nil)
        #expect(cache["title"] as? String == "the build cache is large")
        #expect((cache["evidence"] as? [String])?.first?.hasPrefix("docker system df: build cache ") == true)
        #expect(Set(cache.keys) == ["kind", "severity", "facts", "title", "evidence", "fix"])
        let baseline = try #require(runs.first { ($0["note"] as? [String: Any])?["kind"] as? String == "baseline" }?["note"] as? [String: Any])
        #expect(baseline["count"] as? Int ?? 0 >= 5 && baseline["runClass"] is String)
        #expect(Set(shifted.keys) == ["runID", "pipeline", "commit", "branch", "startedAt", "runClass", "status", "total", "phases", "verdict",
                                      "note", "comparisons", "cause", "budget", "hints"])

        let markdownPath = runner.directory.appending(path: "report.md").path
        let markdown = try runner.run(["report", "--format", "markdown", "--output", markdownPath, "--class", "code-only", "--last", "30"])
        #expect(markdown.status == 0 && markdown.stdout.isEmpty)
        let written = try String(contentsOfFile: markdownPath, encoding: .utf8)
        #expect(written.hasPrefix("## buildtime report\n\n30 runs: 3 regressions"))
        #expect(written.contains("| run | pipeline | started | commit | class | total | baseline | change | build | deploy | verdict |"))
        #expect(!written.contains("requirements |"))

        let html = try runner.run(["report", "--format", "html", "--run", "23"])
        #expect(html.status == 0 && html.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(html.stdout.contains("<figcaption>Image builds of pipeline #222</figcaption>"))
        #expect(try runner.run(["report", "--format", "html", "--run", "9999"]).stderr.contains("no run '9999'"))

        // `show` gives one run's verdict and hints: #222 is the 23rd log stored.
        let shown = try runner.run(["show", "23"])
        #expect(shown.stdout.contains("pipeline  #222"))
        #expect(shown.stdout.contains("verdict   regression\n  total 1m09s against a median of 42.6s (+62%"))
        #expect(shown.stdout.contains("hint      CPU contention: other work competed with the build [cpu-contention]"))

        let since = try runner.run(["report", "--since", "2026-11-15T00:00:00Z", "--format", "json"])
        let sinceRuns = try #require((try JSONSerialization.jsonObject(with: Data(since.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])
        #expect(sinceRuns.map { $0["pipeline"] as? Int } == [263, 262, 261, 260, 259])
    }

    @Test func failOnRegressionGatesOnTheNewestRun() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        // Up to #222, the machine-busy outlier: the newest run regressed.
        #expect(try runner.run(["ingest"] + Self.logs(through: 222)).status == 0)
        let gated = try runner.run(["report", "--fail-on-regression", "--last", "3"])
        #expect(gated.status == 3)
        #expect(gated.stdout.contains("the newest run regressed"))
        #expect(try runner.run(["report", "--last", "3"]).status == 0)
        // One more, ordinary run: the gate opens.
        #expect(try runner.run(["ingest"] + Self.logs(through: 223).suffix(1)).status == 0)
        #expect(try runner.run(["report", "--fail-on-regression"]).status == 0)
    }

    @Test func badOptionsAndAnEmptyDatabase() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        // No database: one line that says so, exit 1, and nothing created.
        let missing = try runner.run(["report"])
        #expect(missing.status == 1 && missing.stderr == "Error: no database at \(runner.database.path) (record or ingest a run first, or give --db or BUILDTIME_DB)\n")
        #expect(!FileManager.default.fileExists(atPath: runner.database.path))
        // A database with no runs left in it.
        #expect(try runner.run(["ingest", "samples/logs/requirements.log"]).status == 0)
        #expect(try runner.run(["delete", "latest"]).status == 0)
        let empty = try runner.run(["report"])
        #expect(empty.status == 0 && empty.stdout.contains("no runs to report"))
        let badDate = try runner.run(["report", "--since", "yesterday"])
        #expect(badDate.status != 0 && badDate.stderr.contains("--since: 'yesterday' is not a date"))
        let badClass = try runner.run(["report", "--class", "warm"])
        #expect(badClass.status != 0 && badClass.stderr.contains("warm"))
        let unwritable = try runner.run(["report", "--output", "/nonexistent/dir/report.txt"])
        #expect(unwritable.status == 1 && unwritable.stderr.hasPrefix("Error: cannot write /nonexistent/dir/report.txt"))
        #expect(unwritable.stderr.split(separator: "\n").count == 1)
    }

    @Test func doctorChecksTheMachineWithDockersAnswers() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        // A stand-in docker with a huge, mostly reclaimable build cache.
        let docker = try runner.write("bin/docker", """
            #!/bin/sh
            case "$*" in
              "info --format {{.DockerRootDir}}") echo /var/lib/docker ;;
              "system df --format {{json .}}")
                echo '{"Active":"3","Reclaimable":"2.1GB (40%)","Size":"5.2GB","TotalCount":"19","Type":"Images"}'
                echo '{"Active":"0","Reclaimable":"47.9GB","Size":"52.4GB","TotalCount":"120","Type":"Build Cache"}' ;;
              *) exit 1 ;;
            esac
            """)
        chmod(docker, 0o755)
        let path = runner.directory.appending(path: "bin").path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try runner.run(["doctor"], environment: ["PATH": path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("docker build cache  52.4GB, 47.9GB reclaimable"))
        #expect(result.stdout.contains("warning: the build cache is large [build-cache-large]"))
        #expect(result.stdout.contains("fix: docker builder prune"))

        let without = try runner.run(["doctor"], environment: ["PATH": runner.directory.path])
        #expect(without.status == 0 && without.stdout.contains("docker              not available"))
    }
}
