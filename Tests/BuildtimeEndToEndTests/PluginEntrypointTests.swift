import Foundation
import Testing

/// plugin/entrypoint.sh as Woodpecker runs it: settings arrive as PLUGIN_* variables and become buildtime's options.
/// No Docker engine here: the script runs as the image would run it, with the built binary.
struct PluginEntrypointTests {
    static let script = BinaryRunner.repositoryRoot.appending(path: "plugin/entrypoint.sh")

    static func plugin(_ runner: BinaryRunner, _ settings: [String: String]) throws -> BinaryRunner.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [script.path]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PLUGIN_") && $0.key != "BUILDTIME_DB" }
        environment["BUILDTIME"] = BinaryRunner.binary.path
        environment["NO_COLOR"] = "1"
        environment.merge(settings) { $1 }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return BinaryRunner.Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func theReportAndTheGate() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        // The history up to #250, a requirements run that regressed.
        #expect(try runner.run(["ingest"] + ReportCommandTests.logs(through: 250)).status == 0)
        let db = runner.database.path
        let report = try Self.plugin(runner, ["PLUGIN_DB": db, "PLUGIN_LAST": "5"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout == (try runner.run(["report", "--last", "5"])).stdout)
        #expect(report.stdout.contains("#250") && report.stdout.contains("regression"))
        // The gate fails the step on the newest run's regression; with the newer runs, it passes.
        let gate = try Self.plugin(runner, ["PLUGIN_COMMAND": "gate", "PLUGIN_DB": db])
        #expect(gate.status == 3 && gate.stdout.contains("#250"))
        #expect(try Self.plugin(runner, ["PLUGIN_DB": db, "PLUGIN_FAIL_ON_REGRESSION": "true"]).status == 3)
        #expect(try Self.plugin(runner, ["PLUGIN_DB": db, "PLUGIN_FAIL_ON_REGRESSION": "false"]).status == 0)
        #expect(try runner.run(["ingest"] + ReportCommandTests.logs()).status == 0)
        #expect(try Self.plugin(runner, ["PLUGIN_COMMAND": "gate", "PLUGIN_DB": db]).status == 0)
        // Another format, into a file; BUILDTIME_DB when no db is set.
        let output = runner.directory.appending(path: "report.md").path
        let markdown = try Self.plugin(runner, ["BUILDTIME_DB": db, "PLUGIN_FORMAT": "markdown", "PLUGIN_OUTPUT": output])
        #expect(markdown.status == 0 && markdown.stdout.isEmpty)
        #expect(try String(contentsOfFile: output, encoding: .utf8).hasPrefix("## buildtime report\n\n20 runs:"))
        let unknown = try Self.plugin(runner, ["PLUGIN_COMMAND": "deploy", "PLUGIN_DB": db])
        #expect(unknown.status == 64 && unknown.stderr.contains("unknown command 'deploy' (report, gate or pull)"))
    }

    @Test(.enabled(if: WoodpeckerServer.available, "python3 is not installed"))
    func pullWithTheTokenFromASecret() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let server = try WoodpeckerServer(in: runner.directory)
        defer { server.stop() }
        let settings = ["PLUGIN_COMMAND": "pull", "PLUGIN_DB": runner.database.path, "PLUGIN_TOKEN": "secret-token", "PLUGIN_STEP": "[\"deploy\"]"]
        // In Woodpecker, the server and the repository come from the pipeline's own variables.
        let pulled = try Self.plugin(runner, settings.merging(["CI_SYSTEM_URL": server.base, "CI_REPO": "acme/trading-dashboard"]) { $1 })
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(pulled.stderr.hasSuffix("64 pipelines read; 64 runs stored, 0 already present, 0 failed\n"), "\(pulled.stderr)")
        let none = try Self.plugin(runner, settings.merging(["PLUGIN_SERVER": server.base, "PLUGIN_REPO": "acme/trading-dashboard", "PLUGIN_STEP": "build, test"]) { $1 })
        #expect(none.stderr.contains("0 runs stored"), "\(none.stderr)")
        #expect(try Self.plugin(runner, ["PLUGIN_COMMAND": "pull", "PLUGIN_REPO": "a/b"]).status == 64)
    }
}
