import Foundation

/// Renders the regression report for a terminal (optionally in colour) or as Markdown.
public enum ReportRenderer {
    /// ANSI colours, or none.
    struct Style {
        var enabled: Bool
        func apply(_ code: String, _ text: String) -> String { enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        func red(_ text: String) -> String { apply("31", text) }
        func green(_ text: String) -> String { apply("32", text) }
        func yellow(_ text: String) -> String { apply("33", text) }
        func bold(_ text: String) -> String { apply("1", text) }
        func dim(_ text: String) -> String { apply("2", text) }
    }

    /// The report as a terminal table and sections; `color` adds ANSI colours. With a `width` (a terminal's 100
    /// columns) the table is the narrow one — one column naming the run, the start without its year, short verdicts
    /// — and the sections' lines are wrapped to it; without, every column in full and no wrapping (`--wide`).
    public static func text(_ report: Report, color: Bool = false, width: Int? = nil) -> String {
        let style = Style(enabled: color)
        guard !report.runs.isEmpty else { return "no runs to report; store some with `buildtime ingest LOG...` or `buildtime record -- COMMAND`\n" }
        var out = style.bold(SafeText.escaped(headline(report))) + "\n\n"
        let narrow = width != nil
        let lead: [(String, TextTable.Alignment)] = narrow ? [("RUN", .right), ("STARTED", .left)] : [("RUN", .right), ("PIPELINE", .right), ("STARTED", .left)]
        var table = TextTable(
            headers: lead.map(\.0) + ["COMMIT", "CLASS", "TOTAL", narrow ? "MEDIAN" : "BASELINE", "CHANGE"] + report.phases.map { $0.uppercased() } + ["VERDICT"],
            alignments: lead.map(\.1) + [.left, .left, .right, .right, .right] + report.phases.map { _ in .right } + [.left])
        var verdicts: [Verdict] = []
        for run in report.runs {
            table.rows.append(cells(run, phases: report.phases, markBudget: true, narrow: narrow))
            verdicts.append(run.verdict)
        }
        // Colour whole rows after aligning them, so escape codes do not upset the widths.
        let lines = table.render().split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where !line.isEmpty {
            let text = String(line)
            if index == 0 { out += style.dim(text) + "\n"; continue }
            switch verdicts[index - 1] {
            case .regression: out += style.red(text) + "\n"
            case .improvement: out += style.green(text) + "\n"
            default: out += text + "\n"
            }
        }
        out += "  (! over its class's budget)\n"
        for section in sections(report) {
            out += "\n" + style.bold(section.title) + "\n"
            for item in section.items {
                for line in wrap(SafeText.escaped(item.text), width: width, indent: "  ", hanging: "    ") {
                    out += (item.warning ? style.yellow(line) : line) + "\n"
                }
                for detail in item.details {
                    for line in wrap(SafeText.escaped(detail), width: width, indent: "      ", hanging: "        ") { out += line + "\n" }
                }
            }
        }
        return out
    }

    /// `text` in lines of at most `width` columns, broken at spaces: the first line after `indent`, the rest after
    /// `hanging`. A word longer than a line (a URL, a long flag) is left whole. Without a width, one line.
    static func wrap(_ text: String, width: Int?, indent: String, hanging: String) -> [String] {
        guard let width, indent.count + text.count > width else { return [indent + text] }
        var lines: [String] = []
        var line = indent
        var empty = true
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if !empty, line.count + 1 + word.count > width {
                lines.append(line)
                line = hanging + word
            } else {
                line += (empty ? "" : " ") + word
            }
            empty = false
        }
        lines.append(line)
        return lines
    }

    /// The report as Markdown, for a pull-request comment or a CI summary.
    public static func markdown(_ report: Report) -> String {
        var out = "## buildtime report\n\n" + headline(report) + "\n\n"
        guard !report.runs.isEmpty else { return out }
        out += "| run | pipeline | started | commit | class | total | baseline | change | " + report.phases.map(escapeMarkdown).joined(separator: " | ") + " | verdict |\n"
        out += "|---:|---:|---|---|---|---:|---:|---:|" + report.phases.map { _ in "---:|" }.joined() + "---|\n"
        for run in report.runs {
            var cells = cells(run, phases: report.phases, markBudget: false)
            if run.verdict == .regression { cells[cells.count - 1] = "**\(cells[cells.count - 1])**" }
            out += "| " + cells.map(escapeMarkdown).joined(separator: " | ") + " |\n"
        }
        for section in sections(report) {
            out += "\n### \(section.title)\n\n"
            for item in section.items {
                out += "- " + escapeMarkdown(item.text) + "\n"
                for detail in item.details { out += "  - " + escapeMarkdown(detail) + "\n" }
            }
        }
        return out
    }

    /// One row: the run, its total against the baseline, each phase, the verdict.
    /// `narrow`: one cell naming the run, the start without its year, the short verdict (`text` at a width).
    static func cells(_ run: RunAssessment, phases: [String], markBudget: Bool, narrow: Bool = false) -> [String] {
        let total: Comparison? = run.comparisons.first { $0.metric == .total }
        var cells: [String] = narrow ? [name(run), DurationFormat.shortTimestamp(run.startedAt)]
            : [run.runID.map(String.init) ?? "—", run.pipeline.map { "#\($0)" } ?? "—", DurationFormat.timestamp(run.startedAt)]
        cells.append(run.commit.map { String($0.prefix(7)) } ?? "—")
        cells.append(run.runClass?.rawValue ?? "unknown")
        cells.append(DurationFormat.string(run.total))
        cells.append(DurationFormat.string(total?.baseline?.median))
        cells.append(total?.relative.map(DurationFormat.percent) ?? "—")
        for name in phases {
            let value: Double? = run.phases[name]
            let over = markBudget && run.budget.contains { $0.name == name && $0.status == .over }
            cells.append(DurationFormat.string(value) + (over ? "!" : ""))
        }
        cells.append(narrow ? shortVerdictLabel(run) : verdictLabel(run))
        return cells
    }

    /// One run's verdict against its baseline, where the time went, its budget and its hints (for `show`).
    public static func assessment(_ run: RunAssessment, color: Bool = false) -> String {
        var lines = ["verdict   \(verdictLabel(run))" + (run.note.map { run.verdict == .normal ? " (\(FactText.sentence($0)))" : "" } ?? "")]
        if let total = run.comparisons.first(where: { $0.metric == .total }), let baseline = total.baseline {
            lines.append("  total \(DurationFormat.string(total.value)) against a median of \(DurationFormat.string(baseline.median)) "
                         + "(\(DurationFormat.percent(total.relative ?? 0)), \(String(format: "%.1f", total.deviations ?? 0)) MADs)")
        }
        if let cause = run.cause { lines.append("  where: " + FactText.whereTime(cause)) }
        for check in run.budget where check.status != .within {
            lines.append("  \(check.name) \(DurationFormat.string(check.value)) is \(check.status.rawValue) its budget "
                         + "\(DurationFormat.string(check.low))–\(DurationFormat.string(check.high))")
        }
        for hint in run.hints {
            lines.append("hint      \(FactText.title(hint)) [\(hint.kind.rawValue)]")
            lines += FactText.evidence(hint).map { "  evidence: " + SafeText.escaped($0) } + ["  fix: " + SafeText.escaped(FactText.fix(hint))]
        }
        // Escaped first, coloured after: the colours are the only control characters that reach the terminal.
        let style = Style(enabled: color)
        return lines.map { line in
            let text = SafeText.escaped(line)
            if line.hasPrefix("verdict ") {
                return run.verdict == .regression ? style.red(text) : run.verdict == .improvement ? style.green(text) : text
            }
            return line.hasPrefix("hint ") ? style.yellow(text) : text
        }.joined(separator: "\n") + "\n"
    }

    /// `64 runs: 3 regressions, 1 improvement, 2 over budget, 1 level shift, 9 hints`.
    static func headline(_ report: Report) -> String {
        let summary = report.summary
        func count(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        var text = "\(count(summary.runs, "run")): \(count(summary.regressions, "regression")), \(count(summary.improvements, "improvement")), "
            + "\(summary.overBudget) over budget, \(count(summary.shifts, "level shift")), \(count(summary.hints, "hint"))"
        if summary.newestRegressed { text += "; the newest run regressed" }
        return text
    }

    /// The verdict for a narrow table: `regression (shift)`, `follows shift #240`, `history 3/5`, `failed`.
    static func shortVerdictLabel(_ run: RunAssessment) -> String {
        guard let note = run.note else { return verdictLabel(run) }
        switch note.kind {
        case .startsLevelShift: return run.verdict.rawValue + " (shift)"
        case .followsShift: return "follows shift " + (note.pipeline.map { "#\($0)" } ?? note.run.map { "run \($0)" } ?? "")
        case .notEnoughHistory: return "history \(note.count ?? 0)/\(note.total ?? 0)"
        case .notSucceeded: return note.status ?? "failed"
        case .noTimestamps: return "no timestamps"
        default: return verdictLabel(run)
        }
    }

    /// `regression`, `not enough history (3/5)`, `follows the level shift of pipeline #240`.
    static func verdictLabel(_ run: RunAssessment) -> String {
        switch run.verdict {
        case .regression, .improvement:
            return run.verdict.rawValue + (run.startsLevelShift ? " (level shift)" : "")
        case .notEnoughHistory, .followsShift, .notCompared:
            return run.note.map(FactText.sentence) ?? run.verdict.rawValue
        case .normal:
            return "normal"
        }
    }

    struct Section {
        struct Item {
            var text: String
            var details: [String]
            var warning = false
        }

        var title: String
        var items: [Item]
    }

    /// Regressions and improvements, level shifts, budget breaches, hints and suggestions, each only when not empty.
    static func sections(_ report: Report) -> [Section] {
        var sections: [Section] = []
        let changed = report.runs.filter { $0.verdict == .regression || $0.verdict == .improvement }
        if !changed.isEmpty {
            sections.append(Section(title: "Regressions and improvements", items: changed.map { run in
                let slower = run.comparisons.filter { $0.metric.raisesAlerts && $0.verdict == run.verdict }
                let what = slower.map { comparison in
                    "\(comparison.metric.label) \(DurationFormat.string(comparison.value)) vs \(DurationFormat.string(comparison.baseline?.median)) "
                        + "(\(DurationFormat.percent(comparison.relative ?? 0)), \(String(format: "%.1f", abs(comparison.deviations ?? 0))) MADs)"
                }
                var details = ["where: " + FactText.whereTime(run.cause)]
                if let note = run.note, run.startsLevelShift { details.append(FactText.sentence(note)) }
                return Section.Item(text: "\(name(run)) \(run.runClass?.rawValue ?? "") \(run.verdict.rawValue): " + what.joined(separator: "; "),
                                    details: details, warning: run.verdict == .regression)
            }))
        }
        if !report.shifts.isEmpty {
            sections.append(Section(title: "Level shifts", items: report.shifts.map { shift in
                // A shift older than the runs reported is the level they are at.
                let before = report.runs.last?.startedAt.map { oldest in (shift.startedAt ?? .distantFuture) < oldest } ?? false
                return Section.Item(text: before ? "in effect since \(FactText.start(shift)), before the runs reported: \(FactText.level(shift))" : FactText.sentence(shift),
                                    details: ["where: " + FactText.whereTime(shift.cause)], warning: shift.change > 0)
            }))
        }
        let breaches = report.runs.flatMap { run in run.budget.filter { $0.status == .over }.map { (run, $0) } }
        if !breaches.isEmpty {
            sections.append(Section(title: "Over budget", items: breaches.map { run, check in
                Section.Item(text: "\(name(run)) \(check.name) \(DurationFormat.string(check.value)), the \(run.runClass!.rawValue) budget is "
                             + "\(DurationFormat.string(check.low))–\(DurationFormat.string(check.high))", details: [], warning: true)
            }))
        }
        let hinted = report.runs.filter { !$0.hints.isEmpty }
        if !hinted.isEmpty {
            // The machine's state persists: one item for every run that showed the same state, with the newest
            // evidence and the runs it covers.
            var items: [Section.Item] = []
            var seen: [String: (item: Int, runs: [String])] = [:]
            for run in hinted {
                for hint in run.hints {
                    let title = FactText.title(hint)
                    let key = hint.kind.rawValue + "\u{0}" + title
                    if Self.persistentHints.contains(hint.kind), seen[key] != nil {
                        seen[key]!.runs.append(name(run))
                        continue
                    }
                    if Self.persistentHints.contains(hint.kind) { seen[key] = (items.count, [name(run)]) }
                    items.append(Section.Item(text: "\(name(run)) \(title) [\(hint.kind.rawValue)]",
                                              details: FactText.evidence(hint).map { "evidence: " + $0 } + ["fix: " + FactText.fix(hint)],
                                              warning: hint.severity == .warning))
                }
            }
            for (_, group) in seen where group.runs.count > 1 {
                let text = items[group.item].text.dropFirst(group.runs[0].count + 1)
                items[group.item].text = "\(group.runs[0]) and \(group.runs.count - 1) earlier runs since \(group.runs.last!): \(text)"
            }
            sections.append(Section(title: "Hints", items: items))
        }
        if !report.suggestions.isEmpty {
            sections.append(Section(title: "Suggestions", items: report.suggestions.map { hint in
                Section.Item(text: "\(FactText.title(hint)) [\(hint.kind.rawValue)]",
                             details: FactText.evidence(hint).map { "evidence: " + $0 } + ["try: " + FactText.fix(hint)])
            }))
        }
        return sections
    }

    /// Hints about the machine's state, which lasts from run to run until someone acts.
    static let persistentHints: Set<Hint.Kind> = [.buildCacheLarge, .imagesPilingUp, .diskNearlyFull]

    /// `pipeline #240`, else `run 12`.
    static func name(_ run: RunAssessment) -> String {
        run.pipeline.map { "#\($0)" } ?? run.runID.map { "run \($0)" } ?? "run"
    }

    /// Keeps text from a log from turning into Markdown: table pipes, emphasis, links, HTML; control characters and
    /// newlines are shown escaped (`SafeText`), so no text starts a line of its own. (`#` makes a heading only at the
    /// start of a line, where no cell or list item puts text.)
    static func escapeMarkdown(_ text: String) -> String {
        var out = ""
        for character in SafeText.escaped(text) {
            if "\\`*_[]<>|".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}

extension ReportRenderer {
    /// The report as JSON (schema in the README, "Report JSON"): every key present, `null` when unknown, times in ISO-8601.
    public static func json(_ report: Report) throws -> String {
        // Never fails on a value no JSON number can hold (only a database edited by hand gives one).
        String(decoding: try PrettyJSON.encode(report, dates: { DurationFormat.iso8601($0) }), as: UTF8.self) + "\n"
    }
}
