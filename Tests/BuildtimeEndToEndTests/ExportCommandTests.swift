import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `export prometheus` as a user runs it: the textfile written whole, the Pushgateway (CI starts one on loopback and
/// names it in BUILDTIME_TEST_PUSHGATEWAY) holding the gauges, and a gateway that is not there one clear error.
@Suite struct ExportCommandTests {
    static let pushgateway = ProcessInfo.processInfo.environment["BUILDTIME_TEST_PUSHGATEWAY"]

    static func runnerWithHistory() throws -> BinaryRunner {
        let runner = try BinaryRunner()
        #expect(try runner.run(["ingest"] + ReportCommandTests.logs()).status == 0)
        return runner
    }

    @Test func theTextfileIsWrittenWholeInPlace() throws {
        let runner = try Self.runnerWithHistory()
        defer { runner.cleanUp() }
        let file = runner.directory.appending(path: "buildtime.prom")
        let result = try runner.run(["export", "prometheus", "--output", file.path])
        #expect(result.status == 0 && result.stdout.isEmpty, "\(result.stderr)")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("buildtime_run_duration_seconds{repository=\"acme/trading-dashboard\",class=\"code-only\"} "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: runner.directory.path).filter { $0.hasSuffix(".tmp") }.isEmpty)
        // Without a destination it prints.
        #expect(try runner.run(["export", "prometheus"]).stdout == text)
        let missing = try runner.run(["export", "prometheus", "--output", runner.directory.appending(path: "no/such/dir/x.prom").path])
        #expect(missing.status == 1 && missing.stderr.hasPrefix("Error: cannot write "))
    }

    @Test func aGatewayThatIsNotThereIsOneErrorLine() throws {
        let runner = try Self.runnerWithHistory()
        defer { runner.cleanUp() }
        let result = try runner.run(["export", "prometheus", "--pushgateway", "http://127.0.0.1:1", "--timeout", "3"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: cannot push to http://127.0.0.1:1") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        // A timeout too large for the HTTP client's clock is bounded, not a crash.
        for huge in ["1e300", "inf"] {
            let bounded = try runner.run(["export", "prometheus", "--pushgateway", "http://127.0.0.1:1", "--timeout", huge])
            #expect(bounded.status == 1 && bounded.stderr.hasPrefix("Error: cannot push to http://127.0.0.1:1"), "\(huge): \(bounded.stderr)")
        }
        #expect(try runner.run(["export", "prometheus", "--pushgateway", "ftp://x"]).status == 64)
    }

    @Test(.enabled(if: pushgateway != nil, "no Pushgateway to push to (BUILDTIME_TEST_PUSHGATEWAY is not set; .ci/run starts one)"))
    func thePushgatewayHoldsTheGaugesUnderTheJobAndRepository() throws {
        let runner = try Self.runnerWithHistory()
        defer { runner.cleanUp() }
        let job = "buildtime-test-\(UUID().uuidString.prefix(8))"
        let result = try runner.run(["export", "prometheus", "--pushgateway", Self.pushgateway!, "--job", job])
        #expect(result.status == 0, "\(result.stderr)")
        let metrics = try String(contentsOf: URL(string: Self.pushgateway! + "/metrics")!, encoding: .utf8)
        let ours = metrics.split(separator: "\n").filter { $0.contains("job=\"\(job)\"") && $0.hasPrefix("buildtime_") }
        #expect(ours.contains { $0.hasPrefix("buildtime_run_duration_seconds{class=\"code-only\",") && $0.contains("repository=\"acme/trading-dashboard\"") })
        #expect(ours.contains { $0.hasPrefix("buildtime_regression{") })
        #expect(ours.contains { $0.hasPrefix("buildtime_last_success_timestamp_seconds{") })
        // Pushing again replaces the group: the same gauges, not twice as many.
        #expect(try runner.run(["export", "prometheus", "--pushgateway", Self.pushgateway!, "--job", job]).status == 0)
        let again = try String(contentsOf: URL(string: Self.pushgateway! + "/metrics")!, encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("job=\"\(job)\"") && $0.hasPrefix("buildtime_") }
        #expect(again.count == ours.count)
        // Leave the gateway as it was.
        var request = URLRequest(url: URL(string: Self.pushgateway! + "/metrics/job/\(job)/repository@base64/YWNtZS90cmFkaW5nLWRhc2hib2FyZA")!)
        request.httpMethod = "DELETE"
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { _, _, _ in done.signal() }.resume()
        done.wait()
    }
}
