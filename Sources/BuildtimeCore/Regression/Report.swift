import Foundation

/// The regression report: the selected runs, each against its baseline, with the level shifts, budget breaches and
/// hints. Its JSON form is the documented schema (`schemaVersion` 2).
public struct Report: Sendable, Equatable, Codable {
    public struct Filters: Sendable, Equatable, Codable {
        public var last: Int?
        public var since: Date?
        public var runClass: RunClass?

        public init(last: Int? = nil, since: Date? = nil, runClass: RunClass? = nil) {
            self.last = last
            self.since = since
            self.runClass = runClass
        }
    }

    public struct Settings: Sendable, Equatable, Codable {
        public var window: Int
        public var minimumHistory: Int
        public var deviations: Double
        public var relativeMargin: Double
        public var absoluteFloor: Double
        /// How many stored runs the baselines and level shifts were computed from.
        public var historyRuns: Int
    }

    public struct Summary: Sendable, Equatable, Codable {
        public var runs: Int
        public var regressions: Int
        public var improvements: Int
        public var overBudget: Int
        public var hints: Int
        public var shifts: Int
        /// Whether the newest run reported is a regression: what `--fail-on-regression` gates on.
        public var newestRegressed: Bool
    }

    public var schemaVersion = 2
    public var generatedAt: Date
    public var filters: Filters
    public var settings: Settings
    public var summary: Summary
    /// The selected runs, newest first.
    public var runs: [RunAssessment]
    /// Level shifts in the classes reported, oldest first.
    public var shifts: [LevelShift]
    /// The build document's next optimisations, where the reported runs support them.
    public var suggestions: [Hint]
    /// The phase names of the reported runs, for renderers: the configured ones first, in the configuration's order,
    /// then any other phase stored with the runs, in the order first seen (runs ingested with another configuration).
    public var phases: [String]

    /// Analyses `history` and reports the runs the filters select; hints are worked out for those runs only.
    public init(history: [Run], analyzer: RegressionAnalyzer, filters: Filters, generatedAt: Date = Date()) {
        let byFingerprint = Dictionary(history.map { ($0.fingerprint, $0) }, uniquingKeysWith: { first, _ in first })
        self.init(points: history.map(RunPoint.init), analyzer: analyzer, filters: filters, generatedAt: generatedAt) { byFingerprint[$0.fingerprint] }
    }

    /// Analyses the runs of `history` from their metrics and reports those the filters select: their hints, causes
    /// and phases are worked out from the whole runs `details` loads, for those runs (and the few a cause compares).
    public init(points history: [RunPoint], analyzer: RegressionAnalyzer, filters: Filters, generatedAt: Date = Date(),
                details: @escaping (RunPoint) -> Run?) {
        let points = RunPoint.chronological(history)
        let chosen = Set(Self.select(points, filters).map { points[$0].fingerprint })
        self.init(analyzer.analyze(points, detailed: { chosen.contains($0.fingerprint) }, details: details),
                  analyzer: analyzer, filters: filters, generatedAt: generatedAt)
    }

    /// The phases `runs` (oldest first) have, ordered as `configured` names them and then as first seen; the
    /// configured names when the runs have no phases at all.
    static func phaseNames(of runs: [Run], configured: [String]) -> [String] {
        var stored: [String] = []
        for run in runs { for phase in run.phases where !stored.contains(phase.name) { stored.append(phase.name) } }
        guard !stored.isEmpty else { return configured }
        return configured.filter(stored.contains) + stored.filter { !configured.contains($0) }
    }

    /// The indices of the runs (oldest first) that the filters select, newest first.
    static func select(_ points: [RunPoint], _ filters: Filters) -> [Int] {
        let selected = points.indices.reversed().filter { index in
            let point = points[index]
            if let runClass = filters.runClass, point.runClass != runClass { return false }
            if let since = filters.since, point.time < since { return false }
            return true
        }
        return filters.last.map { Array(selected.prefix(max(0, $0))) } ?? selected
    }

    /// Selects the runs the filters ask for from an analysed history and sums them up.
    public init(_ outcome: RegressionAnalyzer.Outcome, analyzer: RegressionAnalyzer, filters: Filters, generatedAt: Date = Date()) {
        let selected = Self.select(outcome.points, filters)
        let runs = selected.map { outcome.assessments[$0] }
        let oldest = selected.last.map { outcome.points[$0].time }
        self.generatedAt = generatedAt
        self.filters = filters
        let policy = analyzer.policy
        settings = Settings(window: policy.window, minimumHistory: policy.minimumHistory, deviations: policy.deviations,
                            relativeMargin: policy.relativeMargin, absoluteFloor: policy.absoluteFloor, historyRuns: outcome.points.count)
        self.runs = runs
        // The shifts inside the reported period, and for each class the latest before it: the level its runs are at.
        shifts = RegressionAnalyzer.shownShifts(outcome.shifts.filter { filters.runClass == nil || $0.runClass == filters.runClass }, oldest: oldest)
        let shown = selected.reversed().compactMap { outcome.runs[$0] }
        suggestions = HintEngine(configuration: analyzer.configuration, policy: policy, thresholds: analyzer.thresholds).suggestions(for: shown)
        phases = Self.phaseNames(of: shown, configured: analyzer.configuration.phases.map(\.name))
        summary = Summary(
            runs: runs.count, regressions: runs.filter { $0.verdict == .regression }.count,
            improvements: runs.filter { $0.verdict == .improvement }.count, overBudget: runs.filter(\.overBudget).count,
            hints: runs.reduce(0) { $0 + $1.hints.count }, shifts: shifts.count, newestRegressed: runs.first?.verdict == .regression)
    }
}
