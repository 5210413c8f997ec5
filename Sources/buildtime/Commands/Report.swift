import ArgumentParser
import BuildtimeCore
import Foundation

extension Buildtime {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "The regression report: each run against earlier runs of its class, level shifts, budgets and hints.",
            discussion: """
                Baselines are the median and MAD of the last 20 comparable runs (same class, succeeded); a regression \
                needs more than 4 scaled MADs of the ratio to the median (more for short baselines) and +15% and +8s (the \
                `regressions` settings of .buildtime.yml). \
                Exit status: 0, or 3 with --fail-on-regression when the newest run reported regressed.
                """)

        @Option(help: "Report the newest N runs.")
        var last: Int = 20

        @Option(help: ArgumentHelp("Report only runs started at or after this time (ISO-8601 or unix seconds).", valueName: "date"))
        var since: String?

        @Option(name: .customLong("class"), help: ArgumentHelp("Report only runs of this class (cold, code-only, requirements, no-change).", valueName: "class"))
        var runClass: RunClass?

        @Option(help: "Output format.")
        var format: ReportFormat = .table

        @Option(name: [.short, .long], help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file"))
        var output: String?

        @Flag(help: "The table with every column in full (run id, pipeline, the full start time, long verdicts) and unwrapped lines; by default it fits 100 columns.")
        var wide = false

        @Flag(help: "Exit with status 3 when the newest run reported is a regression.")
        var failOnRegression = false

        @Option(name: .customLong("run"), help: ArgumentHelp("The run whose image builds the HTML timeline shows (an id, `latest`, or a fingerprint prefix); default: the newest regression with timed builds, else the newest run with them.", valueName: "run"))
        var timelineRun: String?

        @Option(help: ArgumentHelp("How many stored runs (newest first) the baselines and level shifts are computed from.", valueName: "runs"))
        var history: Int = 1000

        @OptionGroup var store: StoreOptions
        @OptionGroup var repository: RepoOption
        @OptionGroup var config: ConfigOptions

        static let regressionExitCode: Int32 = 3

        func validate() throws {
            guard last >= 1 else { throw ValidationError("--last must be at least 1") }
            guard history >= 1 else { throw ValidationError("--history must be at least 1") }
            if let since, DurationFormat.parseDate(since) == nil { throw ValidationError("--since: '\(since)' is not a date (ISO-8601 or unix seconds)") }
        }

        func run() throws {
            let analyzer = RegressionAnalyzer(configuration: try config.load())
            let database = try store.open(.existing)
            try Progress.backfillMetrics(of: database)
            // Each repository's classes and baselines are its own, also without --repo; with it, --history counts
            // that repository's runs.
            let points = try database.points(limit: max(history, last), repo: repository.repo)
            let filters = BuildtimeCore.Report.Filters(last: last, since: since.flatMap(DurationFormat.parseDate), runClass: runClass)
            // Whole runs only for those shown and the few their causes compare them with.
            let report = BuildtimeCore.Report(points: points, analyzer: analyzer, filters: filters) { point in
                point.id.flatMap { try? database.run(id: $0) }
            }
            let text: String
            switch format {
            case .table: text = ReportRenderer.text(report, color: output == nil && Terminal.stdoutUsesColor, width: wide ? nil : 100)
            case .markdown: text = ReportRenderer.markdown(report)
            case .json: text = try ReportRenderer.json(report)
            case .html:
                let timeline = try timelineRun.map { try Show.find($0, in: database, repo: repository.repo) } ?? HTMLReportRenderer.timelineOrder(report).lazy.compactMap { id in
                    (try? database.run(id: id)).flatMap { run in run.images.contains { $0.duration != nil } ? run : nil }
                }.first
                text = HTMLReportRenderer.html(report, timeline: timeline)
            }
            if let output {
                do { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                    throw Failure("cannot write \(output): \(error.localizedDescription)")
                }
            } else {
                Terminal.out(text)
            }
            if failOnRegression, report.summary.newestRegressed { throw ExitCode(Self.regressionExitCode) }
        }
    }
}

enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, markdown, html
}

extension RunClass: ExpressibleByArgument {}
