import Foundation
import Testing
@testable import BuildtimeCore

@Suite struct HTMLReportTests {
    static let script = "<script>alert(1)</script>"
    static let attribute = "\"><img src=x onerror=alert(1)>"

    /// A history whose log-borne text is hostile: image names, a failing step's instruction and error lines, changed
    /// files, a phase name.
    static func hostileReport() throws -> (Report, Run) {
        let configuration = try Configuration.parse(yaml: """
            phases:
              - {name: "build \(script)", start: "Building", end: "Built"}
            """, source: "t.yml")
        var runs = (0..<7).map { RegressionAnalyzerTests.run($0, build: 30 + Double($0 % 3)) }
        for index in runs.indices { runs[index].phases[0].name = "build \(script)"; runs[index].phases.removeLast() }
        var hostile = RegressionAnalyzerTests.run(7, build: 90)
        hostile.phases = [PhaseTiming(name: "build \(script)", startOffset: 0, duration: 90)]
        hostile.status = .failed
        hostile.images = [ImageBuild(name: script, builder: .buildkit, startOffset: 0, duration: 80, outcome: .failed,
                                     steps: [BuildStep(index: 2, total: 2, instruction: "RUN \(attribute)", kind: .run, status: .failed, duration: 70, startOffset: 5)],
                                     errorLines: [attribute, script], exitCode: 1)]
        hostile.context = RunContext(changedFiles: [attribute])
        runs.append(hostile)
        let analyzer = RegressionAnalyzer(configuration: configuration)
        return (Report(history: runs, analyzer: analyzer, filters: .init()), hostile)
    }

    @Test func textFromLogsShowsLiterallyAndNeverRuns() throws {
        let (report, timeline) = try Self.hostileReport()
        let html = HTMLReportRenderer.html(report, timeline: timeline)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        // The hostile image name is in the timeline, the failed-build hint and its error lines.
        #expect(html.components(separatedBy: "&lt;script&gt;alert(1)&lt;/script&gt;").count > 4)
        #expect(HTMLReportRenderer.escape("a & b 'c'") == "a &amp; b &#39;c&#39;")
    }

    @Test func markdownKeepsLogTextFromBecomingMarkup() throws {
        let (report, _) = try Self.hostileReport()
        let markdown = ReportRenderer.markdown(report)
        // Every `<` is escaped, so no tag can form.
        #expect(!markdown.replacingOccurrences(of: "\\<", with: "").contains("<"))
        #expect(markdown.contains("\\<script\\>alert(1)\\</script\\>"))
    }

    /// The page's structure, not its pixels: the sections in order, three charts with titles and axis labels, no
    /// scripts and nothing loaded from elsewhere.
    @Test func structureOfTheSampleHistoryReport() throws {
        let (outcome, runs) = try Self.sampleHistory()
        let report = Report(outcome, analyzer: RegressionAnalyzer(), filters: .init(last: 64))
        let html = HTMLReportRenderer.html(report, timeline: runs.last)
        let sections = html.matches(of: #/<section id="([a-z-]+)">/#).map { String($0.1) }
        #expect(sections == ["trend", "regressions-and-improvements", "level-shifts", "over-budget", "hints", "suggestions", "phases", "timeline", "runs"])
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.matches(of: #/<svg /#).count == 3)
        #expect(html.matches(of: #/<svg[^>]*role="img"><title>[^<]+<\/title>/#).count == 3)
        for label in ["total duration", "runs, oldest to newest (pipeline number below)", "phase duration", "time since the run's first line"] {
            #expect(html.contains(">\(label)</text>"), "\(label)")
        }
        #expect(!html.contains("<script") && !html.contains(" src=") && !html.contains("<link") && !html.contains("url("))
        #expect(!html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http://"))
        // One marker per regression, a dashed line per level shift, a row per run.
        #expect(html.matches(of: #/r="7" fill="none" stroke="#c0392b"/#).count == report.summary.regressions)
        #expect(html.matches(of: #/stroke-dasharray="6 4"><title>since pipeline #240/#).count == 1)
        #expect(html.matches(of: #/<tr( class="[a-z]+")?><td class="num">/#).count == 64)
        #expect(html.matches(of: #/<tr class="regression">/#).count == report.summary.regressions)
    }

    @Test func anEmptyReportSaysSo() {
        let report = Report(history: [], analyzer: RegressionAnalyzer(), filters: .init())
        let html = HTMLReportRenderer.html(report, timeline: nil)
        #expect(html.contains("No runs to report"))
        #expect(!html.contains("<svg"))
    }

    @Test func ticksReachPastTheLargestValue() {
        #expect(HTMLReportRenderer.niceTicks(15.8) == [0, 5, 10, 15, 20])
        #expect(HTMLReportRenderer.niceTicks(250) == [0, 60, 120, 180, 240, 300])
        #expect(HTMLReportRenderer.niceTicks(0) == [0, 1])
    }

    static func sampleHistory() throws -> (RegressionAnalyzer.Outcome, [Run]) {
        let outcome = HistorySampleTests.report.outcome
        return (outcome, outcome.points.indices.compactMap { outcome.runs[$0] })
    }
}
