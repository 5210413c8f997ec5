import Foundation

/// The report as one self-contained HTML page: no network, no scripts, SVG charts drawn here. Everything that came
/// from a log, a commit or a file name goes through `escape`, so it shows as text and never runs.
///
/// The charts come first: one small chart per class on its own time axis (its baseline and noise, its budget, its
/// regressions, level shifts and failed runs), the phases of every run, and the image builds of the run most worth
/// a look. Each chart is drawn 480 units wide with 13-unit text, so that one column of them on a phone (about 400 px)
/// keeps its text above 10 px, and two columns on a laptop keep it near 13 px; titles and legends are HTML text.
public enum HTMLReportRenderer {
    /// The page; `timeline` is the run whose image builds the Gantt chart shows (`timelineOrder` says which to pick).
    public static func html(_ report: Report, timeline: Run?) -> String {
        var body = "<header><h1>buildtime report</h1>\n<p class=\"summary\">\(escape(ReportRenderer.headline(report)))</p>\n"
        body += "<p class=\"meta\">generated \(escape(DurationFormat.timestamp(report.generatedAt))); baselines: median and MAD of the last "
            + "\(report.settings.window) runs of the same class; a regression is more than \(format(report.settings.deviations)) MADs of the ratio (more for short baselines), "
            + "+\(Int(report.settings.relativeMargin * 100))% and +\(format(report.settings.absoluteFloor))s</p></header>\n"
        guard !report.runs.isEmpty else {
            return page(body + "<p>No runs to report. Store some with <code>buildtime ingest LOG…</code> or <code>buildtime record -- COMMAND</code>.</p>\n")
        }
        var charts = RunClass.allCases.compactMap { classChart(report, $0) }
        charts.append(figure("Phases of each run, oldest to newest", phaseChart(report)))
        if let timeline {
            let regressed = report.runs.contains { $0.runID == timeline.id && $0.verdict == .regression }
            let name = FactText.runReference(pipeline: timeline.metadata.pipelineNumber, id: timeline.id)
            charts.append(figure("Image builds of \(name)\(regressed ? " (regression)" : "")", ganttChart(timeline)))
        }
        body += "<section id=\"charts\">\n<h2>Trends</h2>\n<div class=\"charts\">\n" + charts.joined() + "</div>\n</section>\n"
        for part in ReportRenderer.sections(report) where part.title != "Hints" {
            body += section(part.title.lowercased().replacingOccurrences(of: " ", with: "-"), part.title, list(part))
        }
        if let hints = hintSection(report) { body += section("hints", "Hints", hints) }
        body += section("runs", "Runs", runTable(report))
        return page(body)
    }

    /// The runs whose image builds are most worth a timeline, in the order to try them: the regressions, newest
    /// first, then every run, newest first. The caller takes the first it can load that has timed image builds.
    public static func timelineOrder(_ report: Report) -> [Int64] {
        let regressions = report.runs.filter { $0.verdict == .regression }.compactMap(\.runID)
        return regressions + report.runs.compactMap(\.runID).filter { !regressions.contains($0) }
    }

    // MARK: - Page

    static func page(_ body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>buildtime report</title>
        <style>
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a; background: #fff; margin: 0 auto; max-width: 1100px; padding: 1.5rem; }
        h1 { font-size: 1.6rem; margin: 0 0 .3rem; } h2 { font-size: 1.2rem; margin: 1.6rem 0 .6rem; border-bottom: 1px solid #ccc; }
        .summary { font-size: 1.1rem; font-weight: 600; margin: 0; } .meta { color: #444; margin: .2rem 0; }
        ul.items { padding-left: 1.2rem; } ul.items li { margin: .4rem 0; } li.warning > .text { color: #a61b1b; font-weight: 600; }
        ul.details { list-style: none; white-space: pre-wrap; overflow-wrap: anywhere; padding-left: .8rem; margin: .2rem 0; color: #333; }
        code, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; overflow-wrap: anywhere; }
        .scroll { overflow-x: auto; } table { border-collapse: collapse; width: 100%; font-size: .8rem; }
        th, td { padding: .1rem .45rem; line-height: 1.2; border-bottom: 1px solid #ddd; text-align: left; white-space: nowrap; }
        summary { cursor: pointer; } summary .runs { color: #444; font-weight: normal; } li.warning summary .text { color: #a61b1b; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; } tr.regression td { background: #fde8e8; } tr.improvement td { background: #e6f4ea; }
        tr.failed td { background: #f3f3f3; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr)); gap: 1rem 1.5rem; }
        figure { margin: 0; min-width: 0; } figcaption { font-weight: 600; margin-bottom: .2rem; } figcaption .sub { font-weight: normal; color: #444; }
        svg { display: block; width: 100%; height: auto; background: #fff; } svg text { font: 13px system-ui, sans-serif; fill: #1a1a1a; }
        svg .axis { stroke: #333; stroke-width: 1; } svg .grid { stroke: #e0e0e0; stroke-width: 1; } svg text.step { fill: #fff; font-size: 12.5px; }
        .legend { margin: .2rem 0 0; font-size: .85rem; } .legend span { display: inline-block; margin-right: .8rem; }
        .swatch { display: inline-block; width: .9rem; height: .9rem; vertical-align: -2px; margin-right: .3rem; box-sizing: border-box; }
        @media (max-width: 600px) { body { padding: .75rem; } }
        </style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
    }

    static func section(_ id: String, _ title: String, _ content: String) -> String {
        "<section id=\"\(escape(id))\">\n<h2>\(escape(title))</h2>\n\(content)</section>\n"
    }

    /// A chart with its title above it (HTML, so it neither scales nor clips) and its legend below.
    static func figure(_ title: String, subtitle: String = "", _ chart: (svg: String, legend: [String])) -> String {
        "<figure>\n<figcaption>\(escape(title))\(subtitle.isEmpty ? "" : " <span class=\"sub\">\(escape(subtitle))</span>")</figcaption>\n"
            + chart.svg + "<p class=\"legend\">" + chart.legend.map { "<span>\($0)</span>" }.joined() + "</p>\n</figure>\n"
    }

    static func list(_ section: ReportRenderer.Section) -> String {
        var html = "<ul class=\"items\">\n"
        for item in section.items {
            html += "<li\(item.warning ? " class=\"warning\"" : "")><span class=\"text\">\(escape(item.text))</span>"
            if !item.details.isEmpty {
                html += "<ul class=\"details\">" + item.details.map { "<li class=\"mono\">\(escape($0))</li>" }.joined() + "</ul>"
            }
            html += "</li>\n"
        }
        return html + "</ul>\n"
    }

    /// The hints grouped by kind: each kind once, with the runs it covers, the newest one's title, evidence and fix.
    static func hintSection(_ report: Report) -> String? {
        var kinds: [Hint.Kind] = [], groups: [Hint.Kind: [(run: RunAssessment, hint: Hint)]] = [:]
        for run in report.runs {
            for hint in run.hints {
                if groups[hint.kind] == nil { kinds.append(hint.kind) }
                groups[hint.kind, default: []].append((run, hint))
            }
        }
        guard !kinds.isEmpty else { return nil }
        var html = "<ul class=\"items\">\n"
        for kind in kinds {
            let group = groups[kind]!, newest = group[0]
            var names: [String] = []
            for (run, _) in group where !names.contains(ReportRenderer.name(run)) { names.append(ReportRenderer.name(run)) }
            let runs = names.count == 1 ? names[0] : "\(names.count) runs: " + names.joined(separator: ", ")
            let warning = group.contains { $0.hint.severity == .warning }
            // One line each; the evidence and the fix open from it (a `<details>`: no script).
            html += "<li\(warning ? " class=\"warning\"" : "")><details><summary><span class=\"text\">\(escape(FactText.title(newest.hint))) [\(escape(kind.rawValue))]</span>"
                + " <span class=\"runs\">\(escape(runs))</span></summary>"
            let details = FactText.evidence(newest.hint).map { "evidence (\(ReportRenderer.name(newest.run))): " + $0 } + ["fix: " + FactText.fix(newest.hint)]
            html += "<ul class=\"details\">" + details.map { "<li class=\"mono\">\(escape($0))</li>" }.joined() + "</ul></details></li>\n"
        }
        return html + "</ul>\n"
    }

    static func runTable(_ report: Report) -> String {
        let headers = ["run", "pipeline", "started", "commit", "class", "total", "baseline", "change"] + report.phases + ["verdict"]
        let numeric: Set<Int> = Set([0, 1, 5, 6, 7] + report.phases.indices.map { 8 + $0 })
        var html = "<div class=\"scroll\"><table>\n<thead><tr>" + headers.enumerated().map { "<th\(numeric.contains($0) ? " class=\"num\"" : "")>\(escape($1))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for run in report.runs {
            let cells = ReportRenderer.cells(run, phases: report.phases, markBudget: true)
            let rowClass = run.verdict == .regression || run.verdict == .improvement ? " class=\"\(run.verdict.rawValue)\""
                : run.status == .failed ? " class=\"failed\"" : ""
            html += "<tr\(rowClass)>" + cells.enumerated().map { "<td\(numeric.contains($0) ? " class=\"num\"" : "")>\(escape($1))</td>" }.joined() + "</tr>\n"
        }
        return html + "</tbody>\n</table></div>\n"
    }

    // MARK: - Charts

    /// Line and marker colours with at least 5.4:1 contrast on white; fills at least 3:1 (WCAG's bar for graphics),
    /// the image bar also 3:1 against the steps drawn on it; the bands are light, under marks that keep their contrast.
    static let classColors: [RunClass: String] = [.cold: "#1f4e9c", .requirements: "#9a4a00", .codeOnly: "#1b7837", .noChange: "#6a3d9a"]
    static let phaseColors = ["#1f4e9c", "#c27c0e", "#5b8c3a", "#8e44ad", "#555555"]
    static let regressionColor = "#c0392b"
    static let failedColor = "#b00020"
    static let imageColor = "#6b8cc0"
    static let stepColor = "#1f3b66"
    static let baselineColor = "#555555"
    static let noiseFill = "#e4e4e4"
    static let budgetFill = "#e3f2e3"
    static let budgetEdge = "#4f8a4f"

    /// A plot area with its axes: `x` and `y` map values to pixels.
    struct Plot {
        var width = 480.0, height = 180.0
        var left = 50.0, right = 14.0, top = 10.0, bottom = 36.0
        var xRange: ClosedRange<Double>, yRange: ClosedRange<Double>

        func x(_ value: Double) -> Double {
            left + (value - xRange.lowerBound) / max(xRange.upperBound - xRange.lowerBound, 1e-9) * (width - left - right)
        }

        func y(_ value: Double) -> Double {
            height - bottom - (value - yRange.lowerBound) / max(yRange.upperBound - yRange.lowerBound, 1e-9) * (height - top - bottom)
        }
    }

    /// An `<svg>` with a title for screen readers and tooltips.
    static func svg(_ plot: Plot, title: String, _ content: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(format(plot.width)) \(format(plot.height))\" role=\"img\">"
            + "<title>\(escape(title))</title>\n" + content + "</svg>\n"
    }

    /// The y axis with gridlines at round numbers of seconds, and the x axis line; the x label below.
    static func axes(_ plot: Plot, xLabel: String) -> String {
        var out = ""
        for tick in niceTicks(plot.yRange.upperBound) {
            let y = format(plot.y(tick))
            out += "<line class=\"grid\" x1=\"\(format(plot.left))\" y1=\"\(y)\" x2=\"\(format(plot.width - plot.right))\" y2=\"\(y)\"/>"
            out += "<text x=\"\(format(plot.left - 5))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escape(DurationFormat.string(tick)))</text>\n"
        }
        let bottom = format(plot.height - plot.bottom)
        out += "<line class=\"axis\" x1=\"\(format(plot.left))\" y1=\"\(format(plot.top))\" x2=\"\(format(plot.left))\" y2=\"\(bottom)\"/>"
        out += "<line class=\"axis\" x1=\"\(format(plot.left))\" y1=\"\(bottom)\" x2=\"\(format(plot.width - plot.right))\" y2=\"\(bottom)\"/>\n"
        out += "<text x=\"\(format((plot.left + plot.width - plot.right) / 2))\" y=\"\(format(plot.height - 4))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        return out
    }

    /// Labels under the x axis at `positions` (about five of `count`), the first anchored at its start and the last at
    /// its end, so neither is cut at the chart's edge.
    static func xLabels(_ plot: Plot, count: Int, at x: (Int) -> Double, label: (Int) -> String) -> String {
        guard count > 0 else { return "" }
        let step = max(1, Int((Double(count) / 5).rounded(.up)))
        var positions = Array(stride(from: 0, to: count, by: step))
        if positions.last != count - 1 {
            if let last = positions.last, Double(count - 1 - last) < 0.75 * Double(step), positions.count > 1 { positions.removeLast() }
            positions.append(count - 1)
        }
        return positions.map { index in
            let anchor = count > 1 && index == 0 ? "start" : count > 1 && index == count - 1 ? "end" : "middle"
            return "<text x=\"\(format(x(index)))\" y=\"\(format(plot.height - plot.bottom + 15))\" text-anchor=\"\(anchor)\">\(escape(label(index)))</text>"
        }.joined() + "\n"
    }

    /// Round tick values from 0 to the first at or above `maximum`, about five of them: steps of whole seconds or minutes.
    static func niceTicks(_ maximum: Double) -> [Double] {
        guard maximum > 0, maximum.isFinite, maximum < 366 * 86400 else { return [0, 1] }
        let raw = maximum / 5
        let candidates = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]
        let step = candidates.first { $0 >= raw } ?? (raw / 3600).rounded(.up) * 3600
        return (0...Int((maximum / step).rounded(.up))).map { Double($0) * step }
    }

    /// The trend of one class on its own axis: each run's total, the baseline it was judged against (its median as a
    /// line, its noise as a band), the class budget as a band, regressions ringed, each level shift as the two levels
    /// before and after it, and failed runs marked where they stopped.
    static func classChart(_ report: Report, _ runClass: RunClass) -> String? {
        let runs = Array(report.runs.reversed().filter { $0.runClass == runClass })
        guard !runs.isEmpty else { return nil }
        let color = classColors[runClass]!
        let baselines = runs.map { run in run.comparisons.first { $0.metric == .total }?.baseline }
        let budget = runs.lazy.compactMap { $0.budget.first { $0.name == "total" } }.first
        let shifts = report.shifts.filter { $0.runClass == runClass && $0.metric == nil }
        let values = runs.compactMap(\.total) + baselines.compactMap { $0.map { $0.median + $0.mad * 1.4826 } }
            + [budget?.high].compactMap { $0 } + shifts.flatMap { [$0.before, $0.after] }
        let maximum = (values.max() ?? 1) * 1.08
        let plot = Plot(xRange: -0.5...(Double(runs.count) - 0.5), yRange: 0...(niceTicks(maximum).last ?? maximum))
        let x = { (index: Int) in plot.x(Double(index)) }
        var out = ""
        if let budget {
            let top = plot.y(min(budget.high, plot.yRange.upperBound)), low = plot.y(budget.low)
            out += "<rect x=\"\(format(plot.left))\" y=\"\(format(top))\" width=\"\(format(plot.width - plot.left - plot.right))\" height=\"\(format(max(low - top, 1)))\" fill=\"\(budgetFill)\">"
                + "<title>\(escape("\(runClass.rawValue) budget \(DurationFormat.string(budget.low))–\(DurationFormat.string(budget.high))"))</title></rect>"
            // Its edges carry it (the fill is too light to): lines with the contrast a graphic needs.
            for edge in [top, low] {
                out += "<line x1=\"\(format(plot.left))\" y1=\"\(format(edge))\" x2=\"\(format(plot.width - plot.right))\" y2=\"\(format(edge))\" stroke=\"\(budgetEdge)\" stroke-width=\"1\"/>"
            }
            out += "\n"
        }
        // The baseline's noise band and median line, over each stretch of runs that had one.
        var stretch: [(Int, Baseline)] = []
        func flush() {
            defer { stretch = [] }
            guard !stretch.isEmpty else { return }
            let upper = stretch.map { "\(format(x($0.0))),\(format(plot.y($0.1.median + $0.1.mad * 1.4826)))" }
            let lower = stretch.reversed().map { "\(format(x($0.0))),\(format(plot.y(max(0, $0.1.median - $0.1.mad * 1.4826))))" }
            out += "<polygon fill=\"\(noiseFill)\" points=\"\((upper + lower).joined(separator: " "))\"/>"
            out += "<polyline fill=\"none\" stroke=\"\(baselineColor)\" stroke-width=\"1.5\" points=\"" + stretch.map { "\(format(x($0.0))),\(format(plot.y($0.1.median)))" }.joined(separator: " ") + "\"/>\n"
        }
        for (index, baseline) in baselines.enumerated() {
            if let baseline { stretch.append((index, baseline)) } else { flush() }
        }
        flush()
        out += axes(plot, xLabel: "runs, oldest to newest")
        out += xLabels(plot, count: runs.count, at: x) { ReportRenderer.name(runs[$0]) }
        // Each level shift: the level before it up to the shift, the level after it from there to the next shift.
        for shift in shifts {
            let at = runs.firstIndex { $0.runID != nil && $0.runID == shift.runID }
            let next = shifts.first { ($0.startedAt ?? .distantPast) > (shift.startedAt ?? .distantFuture) }
                .flatMap { later in runs.firstIndex { $0.runID != nil && $0.runID == later.runID } } ?? runs.count
            let edge = at.map { x($0) - 0.5 * (x(1) - x(0)) } ?? plot.left
            let end = next < runs.count ? x(next) - 0.5 * (x(1) - x(0)) : plot.width - plot.right
            let tip = escape(FactText.sentence(shift))
            if at != nil {
                let y = format(plot.y(shift.before))
                out += "<line x1=\"\(format(plot.left))\" y1=\"\(y)\" x2=\"\(format(edge))\" y2=\"\(y)\" stroke=\"\(regressionColor)\" stroke-width=\"2\" stroke-dasharray=\"5 3\"><title>\(tip)</title></line>"
                out += "<line x1=\"\(format(edge))\" y1=\"\(format(plot.y(shift.before)))\" x2=\"\(format(edge))\" y2=\"\(format(plot.y(shift.after)))\" stroke=\"\(regressionColor)\" stroke-width=\"1\"/>"
            }
            let y = format(plot.y(shift.after))
            out += "<line x1=\"\(format(edge))\" y1=\"\(y)\" x2=\"\(format(end))\" y2=\"\(y)\" stroke=\"\(regressionColor)\" stroke-width=\"2\" stroke-dasharray=\"5 3\"><title>\(tip)</title></line>\n"
            let label = at != nil ? "shift \(DurationFormat.percent(shift.relative))" : "level since \(shift.pipeline.map { "#\($0)" } ?? "before")"
            let labelX = min(max(edge + 4, plot.left + 4), plot.width - plot.right - 90)
            out += "<text x=\"\(format(labelX))\" y=\"\(format(plot.y(shift.after) - 5))\" fill=\"\(regressionColor)\">\(escape(label))</text>\n"
        }
        let points = runs.indices.filter { runs[$0].status == .succeeded && runs[$0].total != nil }
        if points.count > 1 {
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"" + points.map { "\(format(x($0))),\(format(plot.y(runs[$0].total!)))" }.joined(separator: " ") + "\"/>\n"
        }
        var failed = 0, regressed = 0, improved = 0
        for (index, run) in runs.enumerated() {
            let tip = escape("\(ReportRenderer.name(run)) \(runClass.rawValue) \(DurationFormat.string(run.total)) — \(ReportRenderer.verdictLabel(run))")
            let cx = x(index)
            if run.status != .succeeded {
                // Where it stopped (the time it ran before failing), else on the axis.
                failed += 1
                let cy = plot.y(min(run.total ?? 0, plot.yRange.upperBound))
                out += "<path d=\"M\(format(cx - 5)),\(format(cy - 5))L\(format(cx + 5)),\(format(cy + 5))M\(format(cx - 5)),\(format(cy + 5))L\(format(cx + 5)),\(format(cy - 5))\" stroke=\"\(failedColor)\" stroke-width=\"2.5\"><title>\(tip)</title></path>\n"
                continue
            }
            guard let total = run.total else { continue }
            let cy = format(plot.y(total))
            if run.verdict == .regression || run.verdict == .improvement {
                if run.verdict == .regression { regressed += 1 } else { improved += 1 }
                out += "<circle cx=\"\(format(cx))\" cy=\"\(cy)\" r=\"7\" fill=\"none\" stroke=\"\(run.verdict == .regression ? regressionColor : color)\" stroke-width=\"2.5\"/>"
            }
            out += "<circle cx=\"\(format(cx))\" cy=\"\(cy)\" r=\"3.5\" fill=\"\(color)\"><title>\(tip)</title></circle>\n"
        }
        var legend = ["<span class=\"swatch\" style=\"background:\(color);border-radius:50%;width:.6rem;height:.6rem\"></span>total"]
        if !baselines.allSatisfy({ $0 == nil }) {
            legend.append("<span class=\"swatch\" style=\"background:\(noiseFill);border-top:2px solid \(baselineColor)\"></span>baseline: median, noise (±1.48 MAD)")
        }
        if budget != nil { legend.append("<span class=\"swatch\" style=\"background:\(budgetFill);border-top:1px solid \(budgetEdge);border-bottom:1px solid \(budgetEdge)\"></span>budget") }
        if regressed > 0 { legend.append("<span class=\"swatch\" style=\"border:2.5px solid \(regressionColor);border-radius:50%\"></span>regression") }
        if improved > 0 { legend.append("<span class=\"swatch\" style=\"border:2.5px solid \(color);border-radius:50%\"></span>improvement") }
        if !shifts.isEmpty { legend.append("<span class=\"swatch\" style=\"border-top:2px dashed \(regressionColor);height:.5rem\"></span>level before and after a shift") }
        if failed > 0 { legend.append("<span style=\"color:\(failedColor);font-weight:700;margin-right:.3rem\">×</span>failed run") }
        let median = Baseline.median(runs.filter { $0.status == .succeeded }.compactMap(\.total)).map { ", median \(DurationFormat.string($0))" } ?? ""
        let chart = (svg: svg(plot, title: "\(runClass.rawValue) runs: total duration", out), legend: legend)
        return figure(runClass.rawValue, subtitle: "\(runs.count) run\(runs.count == 1 ? "" : "s")\(median)", chart)
    }

    /// Stacked bars of each run's phases, oldest to newest; a failed run's bar is marked.
    static func phaseChart(_ report: Report) -> (svg: String, legend: [String]) {
        let runs = Array(report.runs.reversed())
        let maximum = (runs.map { run in report.phases.reduce(0) { $0 + (run.phases[$1] ?? 0) } }.max() ?? 1) * 1.12
        let plot = Plot(xRange: -0.5...(Double(runs.count) - 0.5), yRange: 0...(niceTicks(maximum).last ?? maximum))
        var out = axes(plot, xLabel: "runs, oldest to newest")
        let slot = (plot.width - plot.left - plot.right) / Double(max(runs.count, 1))
        var failed = false
        for (index, run) in runs.enumerated() {
            var base = 0.0
            let x = plot.x(Double(index)) - slot * 0.4
            for (position, name) in report.phases.enumerated() {
                guard let seconds = run.phases[name], seconds > 0 else { continue }
                let top = plot.y(base + seconds), height = plot.y(base) - top
                out += "<rect x=\"\(format(x))\" y=\"\(format(top))\" width=\"\(format(slot * 0.8))\" height=\"\(format(height))\" fill=\"\(phaseColors[position % phaseColors.count])\">"
                    + "<title>\(escape("\(ReportRenderer.name(run)) \(name) \(DurationFormat.string(seconds))"))</title></rect>"
                base += seconds
            }
            if run.status != .succeeded {
                failed = true
                let cx = plot.x(Double(index)), cy = plot.y(base) - 8
                out += "<path d=\"M\(format(cx - 4)),\(format(cy - 4))L\(format(cx + 4)),\(format(cy + 4))M\(format(cx - 4)),\(format(cy + 4))L\(format(cx + 4)),\(format(cy - 4))\" stroke=\"\(failedColor)\" stroke-width=\"2.5\">"
                    + "<title>\(escape("\(ReportRenderer.name(run)) \(run.status.rawValue)"))</title></path>"
            }
            out += "\n"
        }
        out += xLabels(plot, count: runs.count, at: { plot.x(Double($0)) }) { ReportRenderer.name(runs[$0]) }
        var legend = report.phases.enumerated().map {
            "<span class=\"swatch\" style=\"background:\(phaseColors[$0 % phaseColors.count])\"></span>\(escape($1))"
        }
        if failed { legend.append("<span style=\"color:\(failedColor);font-weight:700;margin-right:.3rem\">×</span>failed run") }
        return (svg(plot, title: "Phases of each run", out), legend)
    }

    /// One row per phase and per image build of `run`, on a time axis from its first line, each labelled above its
    /// bar; the steps that ran are drawn darker inside each build, named where the name fits.
    static func ganttChart(_ run: Run) -> (svg: String, legend: [String]) {
        struct Row { var label: String; var start: Double; var duration: Double; var color: String; var steps: [(Double, Double, String)] }
        var rows: [Row] = []
        for (position, phase) in run.phases.enumerated() {
            if let start = phase.startOffset, let duration = phase.duration {
                rows.append(Row(label: "phase \(phase.name)", start: start, duration: duration, color: phaseColors[position % phaseColors.count], steps: []))
            }
        }
        var failed = false
        for (position, image) in run.images.enumerated() {
            guard let start = image.startOffset, let duration = image.duration else { continue }
            let steps = image.steps.compactMap { step -> (Double, Double, String)? in
                guard step.ran, let offset = step.startOffset, let seconds = step.duration, seconds > 0 else { return nil }
                return (offset, seconds, step.instruction)
            }
            failed = failed || image.outcome == .failed
            rows.append(Row(label: "\(image.label(position: position)) · \(DurationFormat.string(duration))\(image.outcome == .failed ? " · failed" : "")", start: start, duration: duration,
                            color: image.outcome == .failed ? regressionColor : imageColor, steps: steps))
        }
        guard !rows.isEmpty else { return ("<p>This run has no timed phases or image builds to draw.</p>\n", []) }
        let end = rows.map { $0.start + $0.duration }.max() ?? 1
        var plot = Plot(xRange: 0...(niceTicks(end).last ?? end), yRange: 0...1)
        plot.left = 14
        plot.top = 4
        plot.height = plot.top + plot.bottom + Double(rows.count) * 40
        var out = ""
        let ticks = niceTicks(plot.xRange.upperBound)
        for (index, tick) in ticks.enumerated() {
            let x = format(plot.x(tick))
            let anchor = index == 0 ? "start" : index == ticks.count - 1 ? "end" : "middle"
            out += "<line class=\"grid\" x1=\"\(x)\" y1=\"\(format(plot.top))\" x2=\"\(x)\" y2=\"\(format(plot.height - plot.bottom))\"/>"
            out += "<text x=\"\(x)\" y=\"\(format(plot.height - plot.bottom + 15))\" text-anchor=\"\(anchor)\">+\(escape(DurationFormat.string(tick)))</text>\n"
        }
        out += "<line class=\"axis\" x1=\"\(format(plot.left))\" y1=\"\(format(plot.height - plot.bottom))\" x2=\"\(format(plot.width - plot.right))\" y2=\"\(format(plot.height - plot.bottom))\"/>\n"
        out += "<text x=\"\(format((plot.left + plot.width - plot.right) / 2))\" y=\"\(format(plot.height - 4))\" text-anchor=\"middle\">time since the run's first line</text>\n"
        for (index, row) in rows.enumerated() {
            let y = plot.top + Double(index) * 40 + 17
            // The label starts at the bar, kept inside the chart.
            let labelX = min(plot.x(row.start), plot.width - plot.right - Double(row.label.count) * 6.8)
            out += "<text x=\"\(format(max(plot.left, labelX)))\" y=\"\(format(y - 4))\">\(escape(row.label))</text>"
            out += "<rect x=\"\(format(plot.x(row.start)))\" y=\"\(format(y))\" width=\"\(format(max(plot.x(row.start + row.duration) - plot.x(row.start), 1)))\" height=\"19\" fill=\"\(row.color)\">"
                + "<title>\(escape("\(row.label): +\(DurationFormat.string(row.start)) for \(DurationFormat.string(row.duration))"))</title></rect>"
            for (start, seconds, instruction) in row.steps {
                let width = max(plot.x(start + seconds) - plot.x(start), 1)
                out += "<rect x=\"\(format(plot.x(start)))\" y=\"\(format(y + 2))\" width=\"\(format(width))\" height=\"15\" fill=\"\(stepColor)\">"
                    + "<title>\(escape("\(instruction): \(DurationFormat.string(seconds))"))</title></rect>"
                if let name = fitting(instruction, width: width - 4) {
                    out += "<text class=\"step\" x=\"\(format(plot.x(start) + 2))\" y=\"\(format(y + 14))\">\(escape(name))</text>"
                }
            }
            out += "\n"
        }
        var legend = ["<span class=\"swatch\" style=\"background:\(imageColor)\"></span>image build",
                      "<span class=\"swatch\" style=\"background:\(stepColor)\"></span>a step that ran (cached steps take no time)"]
        if !run.phases.isEmpty { legend.insert("<span class=\"swatch\" style=\"background:\(phaseColors[0])\"></span>phase", at: 0) }
        if failed { legend.append("<span class=\"swatch\" style=\"background:\(regressionColor)\"></span>failed build") }
        return (svg(plot, title: "Phases and image builds on one time axis", out), legend)
    }

    /// As much of a step's instruction as fits `width` units of 12.5-unit text (about 7 each), cut with an ellipsis;
    /// nil when not even a few characters fit.
    static func fitting(_ instruction: String, width: Double) -> String? {
        // A width from absurd stored times is no reason to stop: no instruction is longer than a few hundred.
        guard width.isFinite, width >= 28 else { return nil }
        let room = Int(min(width, 100_000) / 7)
        return instruction.count <= room ? instruction : String(instruction.prefix(room - 1)) + "…"
    }

    // MARK: - Text

    /// Text made safe for HTML content and attribute values; control characters and bidi overrides shown escaped
    /// (`SafeText`), since a browser obeys an override even written as an entity.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in SafeText.escaped(text, keepingNewlines: true).unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// `12.5`, `340`: short numbers for coordinates.
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.1f", value)
    }
}
