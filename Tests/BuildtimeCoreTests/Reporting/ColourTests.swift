import Foundation
import Testing
@testable import BuildtimeCore

/// `runs`, `show` and `doctor` colour what needs attention on a terminal, and only when asked; text from a log never
/// brings control characters of its own.
@Suite struct ColourTests {
    static let runs = RegressionAnalyzer.chronological(PrometheusTests.history.runs)

    @Test func aFailedRunsRowIsRedAndNothingIsColouredUnasked() throws {
        let shown = Array(Self.runs.reversed().prefix(12))
        let failed = try #require(shown.firstIndex { $0.status == .failed })
        let lines = RunRenderer.table(shown, color: true).split(separator: "\n").map(String.init)
        #expect(lines[failed + 1].hasPrefix("\u{1B}[31m") && lines[failed + 1].hasSuffix("\u{1B}[0m"))
        #expect(lines.enumerated().filter { $0.element.hasPrefix("\u{1B}[31m") }.map(\.offset) == shown.indices.filter { shown[$0].status != .succeeded && shown[$0].status != .incomplete }.map { $0 + 1 })
        #expect(!RunRenderer.table(shown).contains("\u{1B}"))
    }

    @Test func aTableGatheredPageByPageIsTheTableOfAllItsRuns() {
        // Pages of three: a phase that first shows on a later page still gets its column, and earlier rows a dash there.
        var shown = Array(Self.runs.reversed().prefix(12))
        shown[7].phases.append(PhaseTiming(name: "smoke", startOffset: 0, duration: 4.2))
        var table = RunRenderer.Table()
        for page in stride(from: 0, to: shown.count, by: 3) { table.add(Array(shown[page..<min(page + 3, shown.count)])) }
        #expect(table.render(color: true) == RunRenderer.table(shown, color: true))
        let lines = RunRenderer.table(shown).split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("SMOKE") == true)
        #expect(lines.count == shown.count + 1 && lines[8].contains("4.2s") && !lines[1].contains("4.2s"))
    }

    @Test func aRegressionsVerdictIsRedAndAHintYellow() throws {
        let outcome = RegressionAnalyzer().analyze(Self.runs)
        let regressed = try #require(outcome.assessments.last { $0.verdict == .regression && !$0.hints.isEmpty })
        let text = ReportRenderer.assessment(regressed, color: true)
        #expect(text.hasPrefix("\u{1B}[31mverdict   regression"))
        #expect(text.contains("\u{1B}[33mhint      "))
        #expect(!ReportRenderer.assessment(regressed).contains("\u{1B}"))
        // A hostile line from a log is shown escaped, coloured or not.
        var hostile = regressed
        hostile.hints = [Hint(.failedBuild, facts: [Fact(.toolOutput) { $0.lines = ["\u{1B}]0;owned\u{07}"] }])]
        #expect(!ReportRenderer.assessment(hostile, color: true).contains("\u{1B}]0"))
    }
}
