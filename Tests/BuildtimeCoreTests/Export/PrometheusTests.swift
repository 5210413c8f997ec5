import Foundation
import Testing
@testable import BuildtimeCore

/// The Prometheus gauges of the sample history: each the value the runs themselves give, in an exposition that
/// promtool accepts.
@Suite struct PrometheusTests {
    static let history: (store: SQLiteStore, runs: [Run]) = {
        let store = try! SQLiteStore.inMemory()
        let directory = Fixtures.samples.appending(path: "history")
        let files = try! FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".log.gz") }.sorted()
        for file in files { _ = try! Ingester(configuration: .default).ingest(path: directory.appending(path: file).path, into: store) }
        return (store, RegressionAnalyzer.chronological(try! store.runs(limit: nil)))
    }()

    static func value(_ gauges: PrometheusGauges, _ name: String, _ labels: [String: String]) -> Double? {
        gauges.groups.flatMap(\.gauges).first { gauge in
            gauge.name == name && Dictionary(uniqueKeysWithValues: gauge.labels.map { ($0.name, $0.value) }) == labels
        }?.value
    }

    @Test func eachGaugeIsWhatTheNewestRunsSay() throws {
        let (store, runs) = Self.history
        let gauges = try PrometheusGauges(store: store, analyzer: RegressionAnalyzer())
        let repository = try #require(runs.last?.metadata.repo)
        #expect(gauges.groups.map(\.repository) == [repository])
        // From whole runs, not from the metric table: the newest succeeded run of each class, its total and phases.
        for runClass in RunClass.allCases {
            let newest = try #require(runs.last { $0.classification.runClass == runClass && $0.status == .succeeded && $0.totalSeconds != nil })
            #expect(Self.value(gauges, PrometheusGauges.runDuration, ["repository": repository, "class": runClass.rawValue]) == newest.totalSeconds)
            for phase in newest.phases {
                #expect(Self.value(gauges, PrometheusGauges.phaseDuration, ["repository": repository, "class": runClass.rawValue, "phase": phase.name]) == phase.duration)
            }
        }
        let succeeded = try #require(runs.last { $0.status == .succeeded })
        #expect(Self.value(gauges, PrometheusGauges.lastSuccess, ["repository": repository])
                == succeeded.startedAt!.timeIntervalSince1970 + succeeded.totalSeconds!)
        // The verdicts of the whole-run analysis: the newest comparable run of each class.
        let outcome = RegressionAnalyzer().analyze(runs)
        for runClass in RunClass.allCases {
            let newest = try #require(outcome.assessments.last { $0.runClass == runClass && $0.status == .succeeded && $0.total != nil })
            #expect(Self.value(gauges, PrometheusGauges.regression, ["repository": repository, "class": runClass.rawValue]) == (newest.verdict == .regression ? 1 : 0))
        }
        let context = try #require(runs.last { $0.context?.docker?.buildCache != nil }?.context)
        #expect(Self.value(gauges, PrometheusGauges.buildCache, ["repository": repository]) == context.docker?.buildCache?.size)
        // Labels of low cardinality only.
        #expect(gauges.groups.flatMap(\.gauges).allSatisfy { gauge in gauge.labels.allSatisfy { ["repository", "class", "phase"].contains($0.name) } })
    }

    @Test func theExpositionHasEveryGaugeOnceWithItsTypeAndNoTimestamps() throws {
        let gauges = try PrometheusGauges(store: Self.history.store, analyzer: RegressionAnalyzer())
        let text = PrometheusRenderer.exposition(gauges)
        let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(samples.count == gauges.groups.flatMap(\.gauges).count)
        for sample in samples {
            // `name{labels} value`: two fields after the labels, never a timestamp.
            let afterLabels = sample.split(separator: "}").last!.split(separator: " ")
            #expect(afterLabels.count == 1 && Double(afterLabels[0]) != nil, "\(sample)")
        }
        for name in Set(gauges.groups.flatMap(\.gauges).map(\.name)) {
            #expect(text.contains("# TYPE \(name) gauge\n"))
            #expect(text.contains("# HELP \(name) "))
        }
        // A Pushgateway group leaves the repository to its key.
        #expect(!PrometheusRenderer.exposition(of: gauges.groups[0]).contains("repository="))
    }

    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: promtool != nil, "promtool is not installed (Debian package prometheus)"))
    func promtoolAcceptsTheExposition() throws {
        let text = PrometheusRenderer.exposition(try PrometheusGauges(store: Self.history.store, analyzer: RegressionAnalyzer()))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.promtool!)
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(said)")
        #expect(said.isEmpty, "promtool's lint: \(said)")
    }
}
