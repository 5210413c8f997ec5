import Foundation
import Testing
@testable import BuildtimeCore

@Suite struct RegressionAnalyzerTests {
    /// A succeeded run of `runClass` taking `build` + `deploy` seconds, started `index` hours after a fixed time.
    static func run(_ index: Int, _ runClass: RunClass = .codeOnly, build: Double, deploy: Double = 11, status: RunStatus = .succeeded) -> Run {
        Run(id: Int64(index + 1), fingerprint: "f\(index)", source: "test", format: .text, metadata: RunMetadata(pipelineNumber: 100 + index, commit: "c0ffee\(index)"),
            startedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * 3600), status: status, totalSeconds: build + deploy,
            lineCount: 10, timeResolution: 0.001,
            phases: [PhaseTiming(name: "build", duration: build), PhaseTiming(name: "deploy", duration: deploy)],
            classification: Classification(runClass: runClass, confidence: .high, source: .build, evidence: []),
            recordedAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    static func builds(_ values: [Double], _ runClass: RunClass = .codeOnly) -> [Run] {
        values.enumerated().map { run($0.offset, runClass, build: $0.element) }
    }

    static let steady: [Double] = [31, 29, 33, 30, 32, 28, 31, 30, 29, 32, 31, 30]

    @Test func fewerThanFiveComparableRunsGiveNoVerdict() {
        let outcome = RegressionAnalyzer().analyze(Self.builds([30, 31, 29, 90]))
        #expect(outcome.assessments.map(\.verdict) == Array(repeating: .notEnoughHistory, count: 4))
        #expect(outcome.assessments.last?.note == Fact(.notEnoughHistory) { $0.count = 3; $0.total = 5 })
        #expect(outcome.assessments.last.map(ReportRenderer.verdictLabel) == "not enough history (3/5)")
    }

    @Test func aSlowRunIsARegressionWithItsCause() throws {
        let outcome = RegressionAnalyzer().analyze(Self.builds(Self.steady + [60]))
        let last = try #require(outcome.assessments.last)
        #expect(last.verdict == .regression)
        #expect(last.cause?.phase?.name == "build")
        #expect(last.cause?.phase?.change == 60 - 30.5)
        #expect(outcome.assessments.dropLast().allSatisfy { $0.verdict != .regression })
    }

    @Test func aSmallSlowdownIsNotAnAlert() {
        // No-change runs of ~6 s: one of 7 s is far in MADs but neither +15% of the total nor +8 s.
        let runs = [5.0, 5.1, 4.9, 5.0, 5.0, 5.1, 6.2].enumerated().map { Self.run($0.offset, .noChange, build: $0.element, deploy: 1) }
        #expect(RegressionAnalyzer().analyze(runs).assessments.last?.verdict == .normal)
    }

    @Test func classesAreComparedOnlyWithThemselves() {
        var runs = Self.builds(Self.steady)
        runs.append(Self.run(runs.count, .cold, build: 200))
        let outcome = RegressionAnalyzer().analyze(runs)
        #expect(outcome.assessments.last?.verdict == .notEnoughHistory)
        #expect(outcome.assessments.last?.note == Fact(.notEnoughHistory) { $0.count = 0; $0.total = 5 })
    }

    @Test func eachRepositorysRunsAreComparedOnlyWithItsOwn() throws {
        // Two repositories in one database, the same class, interleaved: one builds in ~30 s, the other in ~90 s.
        var runs: [Run] = []
        for value in Self.steady {
            for (repo, scale) in [("acme/api", 1.0), ("acme/web", 3.0)] {
                var run = Self.run(runs.count, build: value * scale)
                run.metadata.repo = repo
                runs.append(run)
            }
        }
        let outcome = RegressionAnalyzer().analyze(runs)
        #expect(outcome.assessments.allSatisfy { $0.verdict != .regression && $0.verdict != .improvement })
        #expect(outcome.shifts.isEmpty, "\(outcome.shifts)")
        // Each baseline is its own repository's: 12 runs, at its own level.
        let last = try #require(outcome.assessments.last?.comparisons.first { $0.metric == .total }?.baseline)
        #expect(last.runs == Self.steady.count - 1)
        #expect(abs(last.median - (30.5 * 3 + 11)) < 3)
    }

    @Test func failedRunsAreNotComparedNorInBaselines() {
        var runs = Self.builds(Self.steady)
        runs.append(Self.run(runs.count, build: 5, status: .failed))
        runs.append(Self.run(runs.count, build: 31))
        let outcome = RegressionAnalyzer().analyze(runs)
        #expect(outcome.assessments[runs.count - 2].verdict == .notCompared)
        #expect(outcome.assessments[runs.count - 1].comparisons.first { $0.metric == .total }?.baseline?.runs == 12)
    }

    @Test func anOutlierIsFlaggedOnceAndDoesNotMoveTheBaseline() {
        let values = Self.steady + [75] + Self.steady
        let outcome = RegressionAnalyzer().analyze(Self.builds(values))
        let regressions = outcome.assessments.indices.filter { outcome.assessments[$0].verdict == .regression }
        #expect(regressions == [Self.steady.count])
        #expect(outcome.shifts.isEmpty)
        let after = outcome.assessments[Self.steady.count + 1].comparisons.first { $0.metric == .total }
        #expect(after?.baseline?.median == 41.5)   // the outlier is left out
    }

    @Test func aLevelShiftAlertsOnceThenTheBaselineFollowsIt() throws {
        let values = Self.steady + Self.steady.map { $0 + 22 }
        let outcome = RegressionAnalyzer().analyze(Self.builds(values))
        let shift = try #require(outcome.shifts.first)
        #expect(outcome.shifts.count == 1)
        #expect(shift.pipeline == 100 + Self.steady.count)
        #expect(shift.before == 41.5 && shift.after == 63.5)
        #expect(FactText.sentence(shift) == "since pipeline #112 (commit c0ffee1) code-only runs take 1m04s instead of 41.5s (+53%)")
        let verdicts = outcome.assessments.map(\.verdict)
        #expect(verdicts[Self.steady.count] == .regression)
        #expect(verdicts[(Self.steady.count + 1)...(Self.steady.count + 4)].allSatisfy { $0 == .followsShift })
        #expect(verdicts[(Self.steady.count + 5)...].allSatisfy { $0 == .normal })
    }

    @Test func aShiftBeforeTheRunsReportedIsTheLevelTheyAreAt() {
        let runs = Self.builds(Self.steady + Self.steady.map { $0 + 22 })
        let inside = ReportRenderer.text(Report(history: runs, analyzer: RegressionAnalyzer(), filters: Report.Filters(last: 20)))
        #expect(inside.contains("  since pipeline #112 (commit c0ffee1) code-only runs take 1m04s instead of 41.5s (+53%)"))
        let after = ReportRenderer.text(Report(history: runs, analyzer: RegressionAnalyzer(), filters: Report.Filters(last: 3)))
        #expect(after.contains("  in effect since pipeline #112 (commit c0ffee1), before the runs reported: code-only runs take 1m04s instead of 41.5s (+53%)"))
    }

    @Test func aPhasesShiftTheTotalHidesIsFoundAndAlertsOnce() throws {
        // A 5-minute build; from the 21st run the deploy takes 24 s instead of 11 s: the total moves 4%, no shift of
        // its own, but the deploy phase's level changed. Its first run alerts; the runs after it are its new level.
        let builds: [Double] = [301, 296, 305, 299, 303, 298, 300, 304, 297, 302, 300, 299, 301, 303, 296, 302, 298, 300, 305, 299]
        let runs = (builds + builds).enumerated().map { index, build in Self.run(index, build: build, deploy: index < 20 ? 11 + Double(index % 3) * 0.5 : 24 + Double(index % 3) * 0.5) }
        let outcome = RegressionAnalyzer().analyze(runs)
        let shift = try #require(outcome.shifts.first)
        #expect(outcome.shifts.count == 1)
        #expect(shift.metric == "phase:deploy" && shift.pipeline == 120)
        #expect(FactText.sentence(shift) == "since pipeline #120 (commit c0ffee2) the deploy phase of code-only runs takes 24.5s instead of 11.5s (+113%)")
        #expect(outcome.assessments[20].verdict == .regression)
        #expect(outcome.assessments[21...].allSatisfy { $0.verdict != .regression })
    }

    @Test func durationsAreComparedByTheirRatio() throws {
        // Timing noise multiplies: twice the median (30.5 s) is as far as half of it, the other way.
        let slower = try #require(RegressionAnalyzer().analyze(Self.builds(Self.steady + [61])).assessments.last?.comparisons.first { $0.metric == .phase("build") })
        let faster = try #require(RegressionAnalyzer().analyze(Self.builds(Self.steady + [15.25])).assessments.last?.comparisons.first { $0.metric == .phase("build") })
        #expect(abs((slower.deviations ?? 0) + (faster.deviations ?? 0)) < 1e-9)
    }

    @Test func justAfterAShiftTheOldLevelsNoiseStandsForTheNew() throws {
        // 30 runs at 100 s (±6%), then 200 s: the first five at the new level happen to be nearly equal, so their MAD
        // is near nothing (they alone would make the sixth, 15% slower, 50 MADs away); against the noise the class has
        // always had (3%), that is under 5, within what a 5-run baseline can tell.
        let before: [Double] = [100, 94, 106, 101, 97, 103, 99, 105, 95, 100, 102, 98, 104, 96, 101, 99, 103, 97, 100, 106,
                                94, 102, 98, 101, 99, 104, 96, 100, 103, 97]
        let outcome = RegressionAnalyzer().analyze(Self.builds(before + [200, 200.5, 199.5, 200.2, 199.8, 230]))
        #expect(outcome.shifts.count == 1)
        #expect(outcome.assessments[30].verdict == .regression)
        #expect(outcome.assessments.last?.verdict == .normal)
    }

    @Test func aMachineStateThatLastsIsOneHintWithTheRunsItCovers() {
        // The build cache stays large over three runs, and one run's disk is nearly full: two items, not four.
        let large = RunContext(docker: DockerDiskUsage(buildCache: .init(total: 900, active: 0, size: 60e9, reclaimable: 55e9)))
        var runs = Self.builds(Self.steady)
        for index in [8, 10, 11] { runs[index].context = large }
        runs[9].context = RunContext(start: MachineSnapshot(cores: 4, diskPath: "/", diskSizeBytes: 100e9, diskFreeBytes: 1e9))
        let text = ReportRenderer.text(Report(history: runs, analyzer: RegressionAnalyzer(), filters: Report.Filters()))
        let hints = text.components(separatedBy: "\n").filter { $0.contains("[build-cache-large]") || $0.contains("[disk-nearly-full]") }
        #expect(hints == ["  #111 and 2 earlier runs since #108: the build cache is large [build-cache-large]",
                          "  #109 the disk holding Docker's data is nearly full [disk-nearly-full]"])
    }

    @Test func budgetsAreCheckedWithoutHistory() {
        let outcome = RegressionAnalyzer().analyze([Self.run(0, build: 70, deploy: 20)])
        let checks = Dictionary(uniqueKeysWithValues: outcome.assessments[0].budget.map { ($0.name, $0.status) })
        #expect(checks == ["build": .over, "deploy": .over, "total": .over])
        #expect(outcome.assessments[0].hints.map(\.kind) == [.deployOverBudget])
    }

    @Test func regressionSettingsComeFromTheConfiguration() throws {
        let configuration = try Configuration.parse(yaml: "regressions: {minimum_history: 3, absolute_floor: 2, window: 10}", source: "t.yml")
        #expect(configuration.regressions.minimumHistory == 3)
        #expect(configuration.regressions.absoluteFloor == 2)
        #expect(configuration.regressions.window == 10)
        let outcome = RegressionAnalyzer(configuration: configuration).analyze(Self.builds([30, 31, 29, 60]))
        #expect(outcome.assessments.last?.verdict == .regression)
        #expect(throws: ConfigurationError.self) { try Configuration.parse(yaml: "regressions: {windw: 3}", source: "t.yml") }
        #expect(throws: ConfigurationError.self) { try Configuration.parse(yaml: "regressions: {window: -1}", source: "t.yml") }
    }
}

/// The report's phase columns come from the phases stored with its runs: a configuration orders them, and runs read
/// with another configuration keep theirs.
@Suite struct ReportPhaseColumnTests {
    @Test func columnsAreThePhasesTheRunsHave() {
        var older = (0..<3).map { RegressionAnalyzerTests.run($0, build: 30) }
        for index in older.indices {
            older[index].phases = [PhaseTiming(name: "compile", duration: 20), PhaseTiming(name: "ship", duration: 5)]
        }
        let newer = (3..<6).map { RegressionAnalyzerTests.run($0, build: 30) }
        let all = Report(history: older + newer, analyzer: RegressionAnalyzer(), filters: Report.Filters())
        #expect(all.phases == ["build", "deploy", "compile", "ship"])
        let onlyOlder = Report(history: older, analyzer: RegressionAnalyzer(), filters: Report.Filters())
        #expect(onlyOlder.phases == ["compile", "ship"])
        #expect(ReportRenderer.text(onlyOlder).contains("COMPILE"))
        // The configuration orders the phases it names.
        let reordered = Configuration(phases: [PhaseDefinition(name: "deploy", start: .literal("d"), end: .literal("e")),
                                               PhaseDefinition(name: "build", start: .literal("b"), end: .literal("c"))])
        #expect(Report(history: newer, analyzer: RegressionAnalyzer(configuration: reordered), filters: Report.Filters()).phases == ["deploy", "build"])
        // Runs without phases (an unreadable configuration) leave the configured columns.
        var bare = newer
        for index in bare.indices { bare[index].phases = [] }
        #expect(Report(history: bare, analyzer: RegressionAnalyzer(), filters: Report.Filters()).phases == ["build", "deploy"])
    }
}
