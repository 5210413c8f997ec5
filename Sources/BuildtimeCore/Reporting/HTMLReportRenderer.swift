import Foundation

/// The report as one self-contained HTML page: no network, no scripts, SVG charts drawn here. Everything that came
/// from a log, a commit or a file name goes through `escape`, so it shows as text and never runs.
public enum HTMLReportRenderer {
    /// The page; `timeline` is the run whose image builds the Gantt chart shows.
    public static func html(_ report: Report, timeline: Run?) -> String {
        var body = "<header><h1>buildtime report</h1>\n<p class=\"summary\">\(escape(ReportRenderer.headline(report)))</p>\n"
        body += "<p class=\"meta\">generated \(escape(DurationFormat.timestamp(report.generatedAt))); baselines: median and MAD of the last "
            + "\(report.settings.window) runs of the same class; a regression is more than \(format(report.settings.deviations)) MADs of the ratio (more for short baselines), "
            + "+\(Int(report.settings.relativeMargin * 100))% and +\(format(report.settings.absoluteFloor))s</p></header>\n"
        guard !report.runs.isEmpty else {
            return page(body + "<p>No runs to report. Store some with <code>buildtime ingest LOG…</code> or <code>buildtime record -- COMMAND</code>.</p>\n")
        }
        body += section("trend", "Duration per class over time", trendChart(report))
        for part in ReportRenderer.sections(report) {
            body += section(part.title.lowercased().replacingOccurrences(of: " ", with: "-"), part.title, list(part))
        }
        body += section("phases", "Phase breakdown per run", phaseChart(report))
        if let timeline {
            body += section("timeline", "Image builds of \(FactText.runReference(pipeline: timeline.metadata.pipelineNumber, id: timeline.id))", ganttChart(timeline))
        }
        body += section("runs", "Runs", runTable(report))
        return page(body)
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
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a; background: #fff; margin: 0 auto; max-width: 1060px; padding: 1.5rem; }
        h1 { font-size: 1.6rem; margin: 0 0 .3rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #ccc; }
        .summary { font-size: 1.1rem; font-weight: 600; margin: 0; } .meta { color: #444; margin: .2rem 0; }
        ul.items { padding-left: 1.2rem; } ul.items li { margin: .5rem 0; } li.warning > .text { color: #a61b1b; font-weight: 600; }
        ul.details { list-style: none; white-space: pre-wrap; padding-left: .8rem; color: #333; } code, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; }
        table { border-collapse: collapse; width: 100%; font-size: .9rem; } th, td { padding: .25rem .5rem; border-bottom: 1px solid #ddd; text-align: left; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; } tr.regression td { background: #fde8e8; } tr.improvement td { background: #e6f4ea; }
        svg { max-width: 100%; height: auto; background: #fff; } svg text { font: 12px system-ui, sans-serif; fill: #1a1a1a; }
        svg .axis { stroke: #333; stroke-width: 1; } svg .grid { stroke: #e0e0e0; stroke-width: 1; } svg .title { font-size: 14px; font-weight: 600; }
        .legend span { display: inline-block; margin-right: 1rem; } .swatch { display: inline-block; width: .9rem; height: .9rem; vertical-align: -2px; margin-right: .3rem; }
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

    static func runTable(_ report: Report) -> String {
        let headers = ["run", "pipeline", "started", "commit", "class", "total", "baseline", "change"] + report.phases + ["verdict"]
        let numeric: Set<Int> = Set([0, 1, 5, 6, 7] + report.phases.indices.map { 8 + $0 })
        var html = "<table>\n<thead><tr>" + headers.enumerated().map { "<th\(numeric.contains($0) ? " class=\"num\"" : "")>\(escape($1))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for run in report.runs {
            let cells = ReportRenderer.cells(run, phases: report.phases, markBudget: true)
            let rowClass = run.verdict == .regression || run.verdict == .improvement ? " class=\"\(run.verdict.rawValue)\"" : ""
            html += "<tr\(rowClass)>" + cells.enumerated().map { "<td\(numeric.contains($0) ? " class=\"num\"" : "")>\(escape($1))</td>" }.joined() + "</tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    // MARK: - Charts

    /// Line and marker colours with at least 5.4:1 contrast on white; fills at least 3:1 (WCAG's bar for graphics),
    /// the image bar also 3:1 against the steps drawn on it.
    static let classColors: [RunClass: String] = [.cold: "#1f4e9c", .requirements: "#9a4a00", .codeOnly: "#1b7837", .noChange: "#6a3d9a"]
    static let phaseColors = ["#1f4e9c", "#c27c0e", "#5b8c3a", "#8e44ad", "#555555"]
    static let regressionColor = "#c0392b"
    static let imageColor = "#6b8cc0"

    /// A plot area with its axes: `x` and `y` map values to pixels.
    struct Plot {
        var width = 960.0, height = 340.0
        var left = 64.0, right = 20.0, top = 34.0, bottom = 48.0
        var xRange: ClosedRange<Double>, yRange: ClosedRange<Double>

        func x(_ value: Double) -> Double {
            left + (value - xRange.lowerBound) / max(xRange.upperBound - xRange.lowerBound, 1e-9) * (width - left - right)
        }

        func y(_ value: Double) -> Double {
            height - bottom - (value - yRange.lowerBound) / max(yRange.upperBound - yRange.lowerBound, 1e-9) * (height - top - bottom)
        }
    }

    /// An `<svg>` with a title (for screen readers and tooltips) and a visible heading.
    static func svg(_ plot: Plot, title: String, _ content: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(format(plot.width)) \(format(plot.height))\" role=\"img\">"
            + "<title>\(escape(title))</title>\n<text class=\"title\" x=\"\(format(plot.left))\" y=\"18\">\(escape(title))</text>\n"
            + content + "</svg>\n"
    }

    /// The y axis with gridlines at round numbers of seconds, and the x axis line; labels for both.
    static func axes(_ plot: Plot, yLabel: String, xLabel: String) -> String {
        var out = ""
        for tick in niceTicks(plot.yRange.upperBound) {
            let y = format(plot.y(tick))
            out += "<line class=\"grid\" x1=\"\(format(plot.left))\" y1=\"\(y)\" x2=\"\(format(plot.width - plot.right))\" y2=\"\(y)\"/>"
            out += "<text x=\"\(format(plot.left - 6))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escape(DurationFormat.string(tick)))</text>\n"
        }
        let bottom = format(plot.height - plot.bottom)
        out += "<line class=\"axis\" x1=\"\(format(plot.left))\" y1=\"\(format(plot.top))\" x2=\"\(format(plot.left))\" y2=\"\(bottom)\"/>"
        out += "<line class=\"axis\" x1=\"\(format(plot.left))\" y1=\"\(bottom)\" x2=\"\(format(plot.width - plot.right))\" y2=\"\(bottom)\"/>\n"
        out += "<text x=\"14\" y=\"\(format((plot.top + plot.height - plot.bottom) / 2))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 14 \(format((plot.top + plot.height - plot.bottom) / 2)))\">\(escape(yLabel))</text>\n"
        out += "<text x=\"\(format((plot.left + plot.width - plot.right) / 2))\" y=\"\(format(plot.height - 8))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        return out
    }

    /// Round tick values from 0 to the first at or above `maximum`, about five of them: steps of whole seconds or minutes.
    static func niceTicks(_ maximum: Double) -> [Double] {
        guard maximum > 0, maximum.isFinite, maximum < 366 * 86400 else { return [0, 1] }
        let raw = maximum / 5
        let candidates = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]
        let step = candidates.first { $0 >= raw } ?? (raw / 3600).rounded(.up) * 3600
        return (0...Int((maximum / step).rounded(.up))).map { Double($0) * step }
    }

    /// Each class's totals over the reported runs, oldest to newest; regressions ringed, level shifts as dashed lines.
    static func trendChart(_ report: Report) -> String {
        let runs = Array(report.runs.reversed())
        let maximum = (runs.compactMap(\.total).max() ?? 1) * 1.08
        let plot = Plot(xRange: 0...Double(max(runs.count - 1, 1)), yRange: 0...(niceTicks(maximum).last ?? maximum))
        var out = axes(plot, yLabel: "total duration", xLabel: "runs, oldest to newest (pipeline number below)")
        for (index, run) in runs.enumerated() where index % max(1, runs.count / 12) == 0 {
            out += "<text x=\"\(format(plot.x(Double(index))))\" y=\"\(format(plot.height - plot.bottom + 16))\" text-anchor=\"middle\">"
                + "\(escape(run.pipeline.map { "#\($0)" } ?? run.runID.map { "\($0)" } ?? ""))</text>\n"
        }
        for shift in report.shifts {
            guard let index = runs.firstIndex(where: { $0.runID == shift.runID && $0.runID != nil }) else { continue }
            let x = format(plot.x(Double(index)))
            out += "<line x1=\"\(x)\" y1=\"\(format(plot.top))\" x2=\"\(x)\" y2=\"\(format(plot.height - plot.bottom))\" stroke=\"\(regressionColor)\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"><title>\(escape(FactText.sentence(shift)))</title></line>"
            out += "<text x=\"\(x)\" y=\"\(format(plot.top + 12))\" dx=\"4\" fill=\"\(regressionColor)\">level shift \(escape(shift.runClass.rawValue)) \(escape(DurationFormat.percent(shift.relative)))</text>\n"
        }
        for runClass in RunClass.allCases {
            let points = runs.enumerated().compactMap { index, run -> (Double, Double, RunAssessment)? in
                guard run.runClass == runClass, let total = run.total, run.status == .succeeded else { return nil }
                return (plot.x(Double(index)), plot.y(total), run)
            }
            guard !points.isEmpty else { continue }
            let color = classColors[runClass]!
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"" + points.map { "\(format($0.0)),\(format($0.1))" }.joined(separator: " ") + "\"/>\n"
            for (x, y, run) in points {
                let tip = "\(ReportRenderer.name(run)) \(runClass.rawValue) \(DurationFormat.string(run.total)) — \(ReportRenderer.verdictLabel(run))"
                if run.verdict == .regression {
                    out += "<circle cx=\"\(format(x))\" cy=\"\(format(y))\" r=\"7\" fill=\"none\" stroke=\"\(regressionColor)\" stroke-width=\"2.5\"/>"
                }
                out += "<circle cx=\"\(format(x))\" cy=\"\(format(y))\" r=\"3.5\" fill=\"\(color)\"><title>\(escape(tip))</title></circle>\n"
            }
        }
        var legend = "<p class=\"legend\">" + RunClass.allCases.filter { runClass in runs.contains { $0.runClass == runClass } }.map {
            "<span><span class=\"swatch\" style=\"background:\(classColors[$0]!)\"></span>\(escape($0.rawValue))</span>"
        }.joined()
        legend += "<span><span class=\"swatch\" style=\"border:2.5px solid \(regressionColor);border-radius:50%;width:.6rem;height:.6rem\"></span>regression</span>"
        legend += "<span><span class=\"swatch\" style=\"border-left:2px dashed \(regressionColor);width:.4rem\"></span>level shift</span></p>\n"
        return svg(plot, title: "Total duration per class over time", out) + legend
    }

    /// Stacked bars of each run's phases, oldest to newest.
    static func phaseChart(_ report: Report) -> String {
        let runs = Array(report.runs.reversed())
        let maximum = (runs.map { run in report.phases.reduce(0) { $0 + (run.phases[$1] ?? 0) } }.max() ?? 1) * 1.08
        var plot = Plot(xRange: 0...Double(max(runs.count, 1)), yRange: 0...(niceTicks(maximum).last ?? maximum))
        plot.bottom = 56
        var out = axes(plot, yLabel: "phase duration", xLabel: "runs, oldest to newest")
        let slot = (plot.width - plot.left - plot.right) / Double(max(runs.count, 1))
        for (index, run) in runs.enumerated() {
            var base = 0.0
            let x = plot.x(Double(index)) + slot * 0.15
            for (position, name) in report.phases.enumerated() {
                guard let seconds = run.phases[name], seconds > 0 else { continue }
                let top = plot.y(base + seconds), height = plot.y(base) - top
                out += "<rect x=\"\(format(x))\" y=\"\(format(top))\" width=\"\(format(slot * 0.7))\" height=\"\(format(height))\" fill=\"\(phaseColors[position % phaseColors.count])\">"
                    + "<title>\(escape("\(ReportRenderer.name(run)) \(name) \(DurationFormat.string(seconds))"))</title></rect>"
                base += seconds
            }
            if index % max(1, runs.count / 12) == 0 {
                out += "<text x=\"\(format(x + slot * 0.35))\" y=\"\(format(plot.height - plot.bottom + 16))\" text-anchor=\"middle\">\(escape(ReportRenderer.name(run)))</text>"
            }
            out += "\n"
        }
        let legend = "<p class=\"legend\">" + report.phases.enumerated().map {
            "<span><span class=\"swatch\" style=\"background:\(phaseColors[$0 % phaseColors.count])\"></span>\(escape($1))</span>"
        }.joined() + "</p>\n"
        return svg(plot, title: "Phases of each run", out) + legend
    }

    /// One row per phase and per image build of `run`, on a time axis from its first line; the steps that ran are
    /// drawn darker inside each build.
    static func ganttChart(_ run: Run) -> String {
        struct Row { var label: String; var start: Double; var duration: Double; var color: String; var steps: [(Double, Double, String)] }
        var rows: [Row] = []
        for (position, phase) in run.phases.enumerated() {
            if let start = phase.startOffset, let duration = phase.duration {
                rows.append(Row(label: "phase \(phase.name)", start: start, duration: duration, color: phaseColors[position % phaseColors.count], steps: []))
            }
        }
        for (position, image) in run.images.enumerated() {
            guard let start = image.startOffset, let duration = image.duration else { continue }
            let steps = image.steps.compactMap { step -> (Double, Double, String)? in
                guard step.ran, let offset = step.startOffset, let seconds = step.duration, seconds > 0 else { return nil }
                return (offset, seconds, step.instruction)
            }
            rows.append(Row(label: image.label(position: position), start: start, duration: duration,
                            color: image.outcome == .failed ? regressionColor : imageColor, steps: steps))
        }
        guard !rows.isEmpty else { return "<p>This run has no timed phases or image builds to draw.</p>\n" }
        let end = rows.map { $0.start + $0.duration }.max() ?? 1
        var plot = Plot(xRange: 0...(niceTicks(end).last ?? end), yRange: 0...1)
        plot.left = 220
        plot.height = plot.top + plot.bottom + Double(rows.count) * 30
        var out = ""
        for tick in niceTicks(plot.xRange.upperBound) {
            let x = format(plot.x(tick))
            out += "<line class=\"grid\" x1=\"\(x)\" y1=\"\(format(plot.top))\" x2=\"\(x)\" y2=\"\(format(plot.height - plot.bottom))\"/>"
            out += "<text x=\"\(x)\" y=\"\(format(plot.height - plot.bottom + 16))\" text-anchor=\"middle\">+\(escape(DurationFormat.string(tick)))</text>\n"
        }
        out += "<line class=\"axis\" x1=\"\(format(plot.left))\" y1=\"\(format(plot.height - plot.bottom))\" x2=\"\(format(plot.width - plot.right))\" y2=\"\(format(plot.height - plot.bottom))\"/>\n"
        out += "<text x=\"\(format((plot.left + plot.width - plot.right) / 2))\" y=\"\(format(plot.height - 8))\" text-anchor=\"middle\">time since the run's first line</text>\n"
        for (index, row) in rows.enumerated() {
            let y = plot.top + Double(index) * 30 + 5
            out += "<text x=\"\(format(plot.left - 8))\" y=\"\(format(y + 10))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escape(row.label))</text>"
            out += "<rect x=\"\(format(plot.x(row.start)))\" y=\"\(format(y))\" width=\"\(format(max(plot.x(row.start + row.duration) - plot.x(row.start), 1)))\" height=\"20\" fill=\"\(row.color)\">"
                + "<title>\(escape("\(row.label): +\(DurationFormat.string(row.start)) for \(DurationFormat.string(row.duration))"))</title></rect>"
            for (start, seconds, instruction) in row.steps {
                out += "<rect x=\"\(format(plot.x(start)))\" y=\"\(format(y + 4))\" width=\"\(format(max(plot.x(start + seconds) - plot.x(start), 1)))\" height=\"12\" fill=\"#1f3b66\">"
                    + "<title>\(escape("\(instruction): \(DurationFormat.string(seconds))"))</title></rect>"
            }
            out += "\n"
        }
        return svg(plot, title: "Phases and image builds on one time axis", out)
            + "<p class=\"legend\"><span><span class=\"swatch\" style=\"background:\(imageColor)\"></span>image build</span>"
            + "<span><span class=\"swatch\" style=\"background:#1f3b66\"></span>a step that ran (cached steps take no time)</span>"
            + "<span><span class=\"swatch\" style=\"background:\(regressionColor)\"></span>failed build</span></p>\n"
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
