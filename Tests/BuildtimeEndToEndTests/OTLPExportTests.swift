import Foundation
import Testing

/// `export otlp` and `record`'s live export as a user runs them, against a loopback receiver that decodes what
/// buildtime sends with the official OTLP protobuf definitions (Tests/receivers/otlp_receiver.py, which needs
/// `pip install opentelemetry-proto`; .ci/run installs it).
@Suite(.enabled(if: OTLPReceiver.available, "python3 with the opentelemetry-proto package is needed (pip install opentelemetry-proto)"))
struct OTLPExportTests {
    @Test func theSampleHistoryArrivesAsOneTraceARunWithTheSameIdsWhenSentTwice() throws {
        let runner = try ExportCommandTests.runnerWithHistory()
        defer { runner.cleanUp() }
        let receiver = try OTLPReceiver(in: runner.directory)
        defer { receiver.stop() }
        let first = try runner.run(["export", "otlp", "--endpoint", receiver.endpoint, "--last", "64"], environment: ["OTEL_EXPORTER_OTLP_HEADERS": "x-test=yes%20sir"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.hasPrefix("sent 64 traces ("), "\(first.stderr)")
        let spans = try receiver.spans()
        let traces = Dictionary(grouping: spans) { $0["trace"] as! String }
        #expect(traces.count == 64)
        #expect(spans.allSatisfy { ($0["headers"] as? [String: String])?["x-test"] == "yes sir" })
        #expect(spans.allSatisfy { ($0["resource"] as? [String: Any])?["service.name"] as? String == "buildtime" })
        // One root a trace, a SERVER span; every other span's parent is in its trace.
        for (_, trace) in traces {
            let roots = trace.filter { ($0["parent"] as? String)?.isEmpty == true }
            #expect(roots.count == 1 && roots.first?["kind"] as? String == "SPAN_KIND_SERVER")
            let ids = Set(trace.map { $0["span"] as! String })
            #expect(trace.allSatisfy { ($0["parent"] as! String).isEmpty || ids.contains($0["parent"] as! String) })
            #expect(trace.allSatisfy { ($0["start"] as! Int) <= ($0["end"] as! Int) && ($0["start"] as! Int) > 1_700_000_000_000_000_000 })
        }
        // The run of pipeline #240: its attributes, its phases and images under it.
        let root = try #require(spans.first { ($0["attributes"] as? [String: Any])?["cicd.pipeline.run.id"] as? String == "240" })
        let attributes = try #require(root["attributes"] as? [String: Any])
        #expect(root["name"] as? String == "RUN acme/trading-dashboard")
        #expect(attributes["cicd.pipeline.name"] as? String == "acme/trading-dashboard")
        #expect(attributes["cicd.pipeline.result"] as? String == "success")
        #expect(attributes["vcs.repository.name"] as? String == "acme/trading-dashboard")
        #expect(attributes["vcs.ref.head.name"] as? String == "main")
        #expect((attributes["vcs.ref.head.revision"] as? String)?.count == 40)
        #expect(attributes["buildtime.class"] as? String == "code-only")
        let children = traces[root["trace"] as! String]!.filter { $0["parent"] as? String == root["span"] as? String }
        #expect(Set(children.compactMap { $0["name"] as? String }).isSuperset(of: ["build", "deploy"]))
        let builds = traces[root["trace"] as! String]!.filter { ($0["name"] as? String)?.hasPrefix("docker build ") == true }
        #expect(Set(builds.compactMap { $0["name"] as? String }) == ["docker build trading-dashboard", "docker build trading-dashboard-flask", "docker build cookie-refresher"])
        // Each run goes to a collector once ...
        let twice = try runner.run(["export", "otlp", "--endpoint", receiver.endpoint])
        #expect(twice.status == 0 && twice.stderr.contains("nothing to send") && twice.stderr.contains("64 sent there before"), "\(twice.stderr)")
        #expect(try receiver.spans().count == spans.count)
        // ... unless asked again: the same traces and spans, id for id.
        #expect(try runner.run(["export", "otlp", "--endpoint", receiver.endpoint, "--last", "64", "--all"]).status == 0)
        let again = try receiver.spans().dropFirst(spans.count)
        #expect(Set(again.map { "\($0["trace"]!)/\($0["span"]!)" }) == Set(spans.map { "\($0["trace"]!)/\($0["span"]!)" }))
    }

    @Test func aRecordedDeployIsSentOnceStoredAsOneTrace() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let receiver = try OTLPReceiver(in: runner.directory)
        defer { receiver.stop() }
        let samples = BinaryRunner.repositoryRoot.appending(path: "samples/record").path
        let path = [samples, BinaryRunner.binary.deletingLastPathComponent().path, ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].joined(separator: ":")
        let result = try runner.run(["record", "--", "samples/record/deploy.sh"],
                                    environment: ["PATH": path, "BUILD_DELAY": "0.15", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base, "OTEL_SERVICE_NAME": "deploys"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("warning"), "\(result.stderr)")
        let spans = try receiver.spans()
        #expect(Set(spans.map { $0["trace"] as! String }).count == 1)
        #expect(spans.allSatisfy { ($0["resource"] as? [String: Any])?["service.name"] as? String == "deploys" })
        let names = spans.compactMap { $0["name"] as? String }
        // The three nested build steps, the three image builds with their steps.
        for image in ["trading-dashboard", "trading-dashboard-flask", "cookie-refresher"] {
            #expect(names.contains(image) && names.contains("docker build \(image)"), "\(names)")
        }
        let steps = spans.filter { ($0["attributes"] as? [String: Any])?["buildtime.step.status"] != nil }
        #expect(!steps.isEmpty && steps.allSatisfy { ($0["attributes"] as? [String: Any])?["buildtime.step.cached"] is Bool })
        // Sent live, it is not sent again by a later export.
        let later = try runner.run(["export", "otlp", "--endpoint", receiver.base])
        #expect(later.stderr.contains("nothing to send"), "\(later.stderr)")
        // `--otlp` names the collector without the variable.
        #expect(try runner.run(["record", "--otlp", receiver.base, "--", "true"]).status == 0)
        #expect(Set(try receiver.spans().map { $0["trace"] as! String }).count == 2)
    }

    @Test func aCollectorThatFailsOrHangsCostsARecordAtMostTwoSecondsAndOneWarning() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let script = try runner.write("deploy.sh", "#!/bin/sh\necho '=== build start ==='\nsleep 0.2\necho '=== build end ==='\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        for (name, receiver) in [("refused", nil), ("503", try OTLPReceiver(in: runner.directory, arguments: ["--status", "503"])),
                                 ("hanging", try OTLPReceiver(in: runner.directory, arguments: ["--hang", "30"]))] {
            defer { receiver?.stop() }
            let start = Date()
            let result = try runner.run(["record", "--", script], environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver?.base ?? "http://127.0.0.1:1"])
            let elapsed = Date().timeIntervalSince(start)
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(elapsed < 4, "\(name): \(elapsed) s")
            let warnings = result.stderr.split(separator: "\n").filter { $0.contains("the trace was not sent") }
            #expect(warnings.count == 1, "\(name): \(result.stderr)")
        }
        // Every run is stored all the same, and a later export sends them.
        let runs = try runner.run(["runs", "--format", "json"])
        #expect((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [Any])?.count == 3)
        let receiver = try OTLPReceiver(in: runner.directory)
        defer { receiver.stop() }
        let later = try runner.run(["export", "otlp", "--endpoint", receiver.base])
        #expect(later.status == 0 && later.stderr.hasPrefix("sent 3 traces"), "\(later.stderr)")
    }

    @Test func badInputIsOneClearError() throws {
        let runner = try ExportCommandTests.runnerWithHistory()
        defer { runner.cleanUp() }
        let none = try runner.run(["export", "otlp"], environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ""])
        #expect(none.status == 64 && none.stderr.contains("no collector"), "\(none.stderr)")
        let grpc = try runner.run(["export", "otlp", "--endpoint", "http://127.0.0.1:1"], environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        #expect(grpc.status == 1 && grpc.stderr.contains("http/protobuf"), "\(grpc.stderr)")
        let refused = try runner.run(["export", "otlp", "--endpoint", "http://127.0.0.1:1", "--timeout", "3"])
        #expect(refused.status == 1 && refused.stderr.hasPrefix("Error: cannot send traces to http://127.0.0.1:1/v1/traces"), "\(refused.stderr)")
        #expect(try runner.run(["export", "otlp", "--endpoint", "ftp://x"]).status == 1)
        #expect(try runner.run(["export", "otlp", "--endpoint", "http://127.0.0.1:1", "--since", "yesterday"]).status == 64)
    }
}

/// A Python script of Tests/receivers that listens on a free loopback port and prints `listening on PORT`.
enum LoopbackScript {
    /// Whether python3 runs `code` without an error (a module the script needs is installed).
    static func pythonRuns(_ code: String) -> Bool {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", code]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        guard (try? check.run()) != nil else { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }

    /// Starts `script` with `arguments` and waits for its port; its output goes to a file in `directory`.
    static func start(_ process: Process, script: URL, arguments: [String], in directory: URL) throws -> String {
        let log = directory.appending(path: "\(script.deletingPathExtension().lastPathComponent)-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path] + arguments
        process.standardOutput = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var port: String?
        while Date() < deadline, port == nil {
            port = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("listening on ") }.map { String($0.dropFirst(13)) }
            if port == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        guard let port else {
            kill(process.processIdentifier, SIGKILL)
            throw NotListening(script: script.lastPathComponent)
        }
        return "http://127.0.0.1:\(port)"
    }

    struct NotListening: Error { var script: String }
}

/// Tests/receivers/otlp_receiver.py, started on a free loopback port.
final class OTLPReceiver {
    static let script = BinaryRunner.repositoryRoot.appending(path: "Tests/receivers/otlp_receiver.py")

    static let available = LoopbackScript.pythonRuns("import opentelemetry.proto.collector.trace.v1.trace_service_pb2")

    let process = Process()
    let output: URL
    let base: String
    var endpoint: String { base + "/v1/traces" }

    init(in directory: URL, arguments: [String] = []) throws {
        output = directory.appending(path: "spans-\(UUID().uuidString).jsonl")
        base = try LoopbackScript.start(process, script: Self.script, arguments: ["--out", output.path] + arguments, in: directory)
    }


    /// Every span received so far, decoded.
    func spans() throws -> [[String: Any]] {
        guard let text = try? String(contentsOf: output, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    /// SIGKILL: a child of the test process may inherit a mask that holds SIGTERM back.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
