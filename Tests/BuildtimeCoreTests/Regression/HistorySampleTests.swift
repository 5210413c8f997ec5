import Foundation
import Testing
@testable import BuildtimeCore

/// `samples/history`: 64 runs with planted events, and what `samples/history-expected.json` (written by
/// samples/tools/make-history.py, which planted them) says the report must find — and nothing else.
@Suite struct HistorySampleTests {
    struct Expected: Decodable {
        struct Shift: Decodable { var `class`: String; var pipeline: Int }
        struct Run: Decodable {
            var pipeline: Int
            var `class`: String
            var failed: Bool
            var hints: [String]
            /// nil: no claim (the legacy builder's run, whose parts are not like the others').
            var regression: Bool?
            var shift: Bool
        }

        var shift: Shift
        var outlier: Int
        var runs: [String: Run]
    }

    static let expected: Expected = {
        let data = try! Data(contentsOf: Fixtures.samples.appending(path: "history-expected.json"))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    /// The history ingested into a fresh store, analysed, keyed by pipeline number.
    static let report: (outcome: RegressionAnalyzer.Outcome, byPipeline: [Int: RunAssessment]) = {
        let store = try! SQLiteStore.inMemory()
        let directory = Fixtures.samples.appending(path: "history")
        let files = try! FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".log.gz") }.sorted()
        for file in files { _ = try! Ingester(configuration: .default).ingest(path: directory.appending(path: file).path, into: store) }
        let outcome = RegressionAnalyzer().analyze(try! store.runs(limit: nil))
        let byPipeline = Dictionary(uniqueKeysWithValues: outcome.assessments.map { ($0.pipeline!, $0) })
        return (outcome, byPipeline)
    }()

    @Test func everyRunIsReadWithItsClass() {
        #expect(Self.report.outcome.points.count == Self.expected.runs.count)
        #expect(Self.expected.runs.count >= 60)
        for run in Self.expected.runs.values {
            let assessment = Self.report.byPipeline[run.pipeline]
            #expect(assessment?.runClass?.rawValue == run.class, "#\(run.pipeline)")
            #expect((assessment?.status == .failed) == run.failed, "#\(run.pipeline)")
        }
    }

    @Test func theLevelShiftIsFoundAtTheRightRun() throws {
        let shifts = Self.report.outcome.shifts
        #expect(shifts.count == 1)
        let shift = try #require(shifts.first)
        #expect(shift.runClass.rawValue == Self.expected.shift.class)
        #expect(shift.pipeline == Self.expected.shift.pipeline)
        #expect(shift.relative > 0.3)
        // The grown build context is where the time went.
        #expect(shift.cause?.phase?.name == "build")
        #expect(shift.cause?.step?.name.hasSuffix("load build context") == true)
    }

    @Test func regressionsAreExactlyThePlantedOnes() {
        for (file, run) in Self.expected.runs {
            guard let regression = run.regression, let assessment = Self.report.byPipeline[run.pipeline] else { continue }
            #expect((assessment.verdict == .regression) == regression, "\(file): \(assessment.verdict) \(assessment.note.map(FactText.sentence) ?? "")")
            guard assessment.verdict == .regression else { continue }
            // The phase that moved is named; an image or a step only when its own time moved beyond its noise: not
            // for a deploy that restarted containers one at a time, nor for builds that ran one after another
            // (each image took its usual time).
            #expect(assessment.cause?.phase != nil, "\(file)")
            if run.hints.contains("deploy-over-budget") {
                #expect(assessment.cause?.phase?.name == "deploy" && assessment.cause?.image == nil && assessment.cause?.step == nil, "\(file)")
            } else if run.hints.contains("builds-not-parallel") {
                #expect(assessment.cause?.image == nil, "\(file)")
            } else {
                #expect(assessment.cause?.image != nil && assessment.cause?.step != nil, "\(file)")
            }
        }
        #expect(!Self.report.outcome.assessments.contains { $0.verdict == .improvement })
    }

    @Test func theOutlierIsFlaggedOnceAndTheRunsAfterItAreNormal() throws {
        let outlier = try #require(Self.report.byPipeline[Self.expected.outlier])
        #expect(outlier.verdict == .regression)
        #expect(!outlier.startsLevelShift)
        // The code-only runs after it with nothing planted, up to the level shift.
        let planted = Set(Self.expected.runs.values.filter { $0.regression != false }.map(\.pipeline))
        let later = Self.report.outcome.assessments.filter { assessment in
            let pipeline = assessment.pipeline ?? 0
            return pipeline > Self.expected.outlier && pipeline < Self.expected.shift.pipeline && assessment.runClass == .codeOnly && !planted.contains(pipeline)
        }
        #expect(!later.isEmpty)
        #expect(later.allSatisfy { $0.verdict != .regression })
    }

    @Test func eachHintAppearsExactlyWhereItsEvidenceIs() {
        for (file, run) in Self.expected.runs {
            let kinds = Self.report.byPipeline[run.pipeline]?.hints.map(\.kind.rawValue) ?? []
            #expect(Set(kinds) == Set(run.hints), "\(file)")
            #expect(kinds.count == Set(kinds).count, "\(file): a hint twice")
        }
    }

    @Test func theBuildDocumentsNextOptimisationsAreSuggested() {
        let report = Report(Self.report.outcome, analyzer: RegressionAnalyzer(), filters: .init())
        #expect(report.suggestions.map(\.kind) == [.cacheMount, .externalCache])
        #expect(report.suggestions[0].facts.first?.tool == "uv")
        #expect(FactText.fix(report.suggestions[0]).contains("--mount=type=cache,target=/root/.cache/uv"))
    }
}
