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

    /// The page's structure, not its pixels: the charts first (one per class, the phases, the timeline), then the
    /// sections; no scripts and nothing loaded from elsewhere.
    @Test func structureOfTheSampleHistoryReport() throws {
        let (outcome, runs) = try Self.sampleHistory()
        let report = Report(outcome, analyzer: RegressionAnalyzer(), filters: .init(last: 64))
        let order = HTMLReportRenderer.timelineOrder(report)
        // The timeline shows the newest regression: #250, a requirements run.
        let newestRegression = try #require(report.runs.first { $0.verdict == .regression })
        #expect(order.first == newestRegression.runID && newestRegression.pipeline == 250)
        #expect(Set(order) == Set(report.runs.compactMap(\.runID)) && order.count == report.runs.count)
        let timeline = try #require(runs.first { $0.id == order.first })
        let html = HTMLReportRenderer.html(report, timeline: timeline)
        let sections = html.matches(of: #/<section id="([a-z-]+)">/#).map { String($0.1) }
        #expect(sections == ["charts", "regressions-and-improvements", "level-shifts", "over-budget", "suggestions", "hints", "runs"])
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        let captions = html.matches(of: #/<figcaption>([^<]+)/#).map { String($0.1).trimmingCharacters(in: .whitespaces) }
        #expect(captions == ["no-change", "code-only", "requirements", "cold", "Phases of each run, oldest to newest", "Image builds of pipeline #250 (regression)"])
        #expect(html.matches(of: #/<svg[^>]*role="img"><title>[^<]+<\/title>/#).count == 6)
        // Every chart has a legend.
        #expect(html.matches(of: #/<\/svg>\n<p class="legend"><span>/#).count == 6)
        for label in ["runs, oldest to newest", "time since the run's first line"] {
            #expect(html.contains(">\(label)</text>"), "\(label)")
        }
        #expect(!html.contains("<script") && !html.contains(" src=") && !html.contains("<link") && !html.contains("url("))
        #expect(!html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http://"))
        // A ring per regression; the shift's two levels (before and after); the failed run on its class's trend and
        // in the phase bars; a row per run.
        #expect(html.matches(of: #/r="7" fill="none" stroke="#c0392b"/#).count == report.summary.regressions)
        #expect(html.matches(of: #/stroke-dasharray="5 3"><title>since pipeline #240/#).count == 2)
        #expect(report.runs.filter { $0.status == .failed }.count == 1)
        #expect(html.matches(of: #/stroke="#b00020" stroke-width="2.5"><title>#257 /#).count == 2)
        #expect(html.matches(of: #/<tr( class="[a-z]+")?><td class="num">/#).count == 64)
        #expect(html.matches(of: #/<tr class="regression">/#).count == report.summary.regressions)
        // The hints grouped: each kind once, with the runs it covers.
        let kinds = Set(report.runs.flatMap { $0.hints.map(\.kind) })
        #expect(html.matches(of: #/<details><summary>/#).count == kinds.count && kinds.count > 3)
        #expect(html.contains("<span class=\"runs\">2 runs: #214, #209</span>"))
        // Where a step's name fits in its bar, it is written there.
        #expect(html.contains("<text class=\"step\""))
    }

    /// The colours keep WCAG's contrast on the white page: 4.5:1 for lines, markers and text, 3:1 for fills and edges
    /// (graphics); the step names, white on the step bars, 4.5:1.
    @Test func chartColoursKeepTheirContrast() {
        func luminance(_ hex: String) -> Double {
            let value = Int(hex.dropFirst(), radix: 16)!
            let channels = [value >> 16, value >> 8 & 0xFF, value & 0xFF].map { channel -> Double in
                let c = Double(channel) / 255
                return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
            }
            return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
        }
        func contrast(_ a: String, _ b: String) -> Double {
            let (x, y) = (luminance(a), luminance(b))
            return (max(x, y) + 0.05) / (min(x, y) + 0.05)
        }
        let lines = Array(HTMLReportRenderer.classColors.values) + [HTMLReportRenderer.regressionColor, HTMLReportRenderer.failedColor, HTMLReportRenderer.baselineColor]
        for color in lines { #expect(contrast(color, "#ffffff") >= 4.5, "\(color)") }
        for color in HTMLReportRenderer.phaseColors + [HTMLReportRenderer.imageColor, HTMLReportRenderer.budgetEdge] {
            #expect(contrast(color, "#ffffff") >= 3, "\(color)")
        }
        #expect(contrast(HTMLReportRenderer.stepColor, "#ffffff") >= 4.5)
        #expect(contrast(HTMLReportRenderer.stepColor, HTMLReportRenderer.imageColor) >= 3)
        // Lines drawn over the bands keep theirs there.
        for color in lines { #expect(contrast(color, HTMLReportRenderer.budgetFill) >= 4.5 && contrast(color, HTMLReportRenderer.noiseFill) >= 4, "\(color)") }
    }

    @Test func aStepNameIsWrittenOnlyWhereItFits() {
        #expect(HTMLReportRenderer.fitting("RUN make", width: 100) == "RUN make")
        #expect(HTMLReportRenderer.fitting("RUN uv pip install -r requirements.txt", width: 70) == "RUN uv pi…")
        #expect(HTMLReportRenderer.fitting("RUN make", width: 20) == nil)
        #expect(HTMLReportRenderer.fitting("RUN make", width: 1e300) == "RUN make")
        #expect(HTMLReportRenderer.fitting("RUN make", width: .nan) == nil)
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
