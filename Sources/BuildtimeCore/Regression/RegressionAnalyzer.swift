import Foundation

/// Compares every run with earlier runs of its own class: baselines, regressions and improvements, level shifts,
/// budgets and hints. Pure: give it runs, get assessments.
public struct RegressionAnalyzer: Sendable {
    public var configuration: Configuration
    /// The configuration's regression settings.
    public var policy: RegressionPolicy { configuration.regressions }
    public var thresholds: HintThresholds

    public init(configuration: Configuration = .default, thresholds: HintThresholds = HintThresholds()) {
        self.configuration = configuration
        self.thresholds = thresholds
    }

    /// The outcome for a history of runs.
    public struct Outcome: Sendable {
        /// One assessment per run, oldest first (the order of `runs`).
        public var runs: [Run]
        public var assessments: [RunAssessment]
        public var shifts: [LevelShift]
    }

    /// Assesses `history` (any order; sorted by start time here). Hints are worked out for the runs `hinted` accepts.
    public func analyze(_ history: [Run], hinted: (Run) -> Bool = { _ in true }) -> Outcome {
        let runs = Self.chronological(history)
        let metrics = runs.map(RunMetrics.init)
        let steps = StepTimes(runs)
        var assessments = runs.indices.map { index in
            let run = runs[index]
            return RunAssessment(
                runID: run.id, pipeline: run.metadata.pipelineNumber, commit: run.metadata.commit, branch: run.metadata.branch,
                startedAt: run.startedAt, runClass: run.classification.runClass, status: run.status, total: run.totalSeconds,
                phases: Dictionary(run.phases.compactMap { phase in phase.duration.map { (phase.name, $0) } }, uniquingKeysWith: { first, _ in first }),
                verdict: .notCompared, note: Self.whyNotCompared(run), comparisons: [], cause: nil,
                budget: budget(of: run, metrics: metrics[index]), hints: [])
        }
        var shifts: [LevelShift] = []
        for runClass in RunClass.allCases {
            let series = runs.indices.filter { runs[$0].classification.runClass == runClass && Self.isComparable(runs[$0]) }
            shifts += compare(series, runClass: runClass, runs: runs, metrics: metrics, steps: steps, into: &assessments)
        }
        let hints = HintEngine(configuration: configuration, policy: policy, thresholds: thresholds)
        for index in runs.indices where hinted(runs[index]) {
            assessments[index].hints = hints.hints(for: runs[index], assessment: assessments[index])
        }
        return Outcome(runs: runs, assessments: assessments, shifts: shifts)
    }

    /// The verdict of one stored run, as the report gives it: against the newest `history` runs of `store` (the run
    /// itself among them), with its hints.
    public func assessment(of run: Run, in store: any RunStore, history: Int = 1000) throws -> RunAssessment? {
        let stored = try store.runs(limit: history)
        let runs = stored.contains { $0.id == run.id } ? stored : stored + [run]
        return analyze(runs) { $0.id == run.id }.assessments.first { $0.runID == run.id }
    }

    /// Oldest first, by start time (else the time it was stored), then id.
    public static func chronological(_ runs: [Run]) -> [Run] {
        runs.sorted { ($0.startedAt ?? $0.recordedAt, $0.id ?? 0) < ($1.startedAt ?? $1.recordedAt, $1.id ?? 0) }
    }

    /// A succeeded run with a measured total, whose class is known.
    static func isComparable(_ run: Run) -> Bool {
        run.status == .succeeded && run.totalSeconds != nil && run.classification.runClass != nil
    }

    private static func whyNotCompared(_ run: Run) -> Fact? {
        if run.classification.runClass == nil { return Fact(.classUnknown) }
        if run.status != .succeeded { return Fact(.notSucceeded) { $0.status = run.status.rawValue } }
        if run.totalSeconds == nil { return Fact(.noTimestamps) }
        return nil
    }

    /// Assesses the runs of one class (`series`, oldest first) and returns its level shifts.
    private func compare(_ series: [Int], runClass: RunClass, runs: [Run], metrics: [RunMetrics], steps: StepTimes,
                         into assessments: inout [RunAssessment]) -> [LevelShift] {
        // Level shifts of the alerting metrics: the total's, then a phase's that the total does not show (a deploy
        // 10 s slower in a 7-minute cold build). Every metric's baseline restarts at each.
        let detector = ChangePointDetector(policy: policy)
        var shifted: [Int: Metric] = [:]
        for k in detector.changePoints(series.map { metrics[$0].values[.total]! }) { shifted[k] = .total }
        let phases = Set(series.flatMap { metrics[$0].values.keys.filter { $0.raisesAlerts && $0 != .total } })
        for metric in phases.sorted() {
            let values = series.compactMap { metrics[$0].values[metric] }
            guard values.count == series.count else { continue }
            for k in detector.changePoints(values) where !shifted.keys.contains(where: { abs($0 - k) <= 1 }) { shifted[k] = metric }
        }
        let starts = [0] + shifted.keys.sorted()
        var flagged = Set<Int>()
        var shifts: [LevelShift] = []
        for (position, index) in series.enumerated() {
            let segment = starts.lastIndex { $0 <= position }!
            let start = starts[segment]
            let candidates: Range<Int>
            var note: Fact?
            if position == start, segment > 0 {
                candidates = starts[segment - 1]..<start
                note = Fact(.startsLevelShift)
            } else if segment > 0, position - start < policy.minimumHistory {
                let first = runs[series[start]]
                assessments[index].verdict = .followsShift
                assessments[index].note = Fact(.followsShift) { $0.pipeline = first.metadata.pipelineNumber; $0.run = first.id }
                continue
            } else {
                candidates = start..<position
            }
            // The latest `window` unflagged runs, found walking back: not a filter over a long segment for every run.
            var history: [Int] = []
            for candidate in candidates.reversed() where !flagged.contains(candidate) {
                history.append(series[candidate])
                if history.count == policy.window { break }
            }
            history.reverse()
            guard history.count >= policy.minimumHistory else {
                assessments[index].verdict = .notEnoughHistory
                assessments[index].note = Fact(.notEnoughHistory) { $0.count = history.count; $0.total = policy.minimumHistory }
                continue
            }
            // Just after a level shift the new level has few runs, whose MAD can be near nothing: the noise of the
            // level before, relative to its median, stands as the least (timing noise scales with the time).
            let earlier: [RunMetrics] = segment > 0 && history.count < policy.window
                ? (starts[segment - 1]..<start).suffix(policy.window).map { metrics[series[$0]] } : []
            let comparisons = metrics[index].values.keys.sorted().compactMap { metric in
                compare(metric, of: metrics[index], with: history.map { metrics[$0] },
                        relativeSpread: Baseline(earlier.compactMap { $0.values[metric] })?.relativeSpread(minimum: policy.minimumHistory))
            }
            let alerting = comparisons.filter { $0.metric.raisesAlerts }
            let verdict: Verdict = alerting.contains { $0.verdict == .regression } ? .regression
                : alerting.contains { $0.verdict == .improvement } ? .improvement : .normal
            assessments[index].verdict = verdict
            assessments[index].comparisons = comparisons
            assessments[index].note = note ?? Fact(.baseline) { $0.count = history.count; $0.runClass = runClass }
            if verdict != .normal {
                assessments[index].cause = cause(of: [index], against: history, metrics: metrics, steps: steps, slower: verdict == .regression)
                if note == nil { flagged.insert(position) }
            }
        }
        for (segment, start) in starts.enumerated().dropFirst() {
            let before = Array(starts[segment - 1]..<start).suffix(policy.window).map { series[$0] }
            let end = segment + 1 < starts.count ? starts[segment + 1] : series.count
            let after = Array(start..<end).map { series[$0] }
            let first = runs[series[start]]
            let metric = shifted[start] ?? .total
            let median = { (indices: [Int]) in Baseline.median(indices.compactMap { metrics[$0].values[metric] }) ?? 0 }
            shifts.append(LevelShift(
                runClass: runClass, runID: first.id, pipeline: first.metadata.pipelineNumber, commit: first.metadata.commit,
                startedAt: first.startedAt, before: median(before), after: median(after), runsBefore: before.count, runsAfter: after.count,
                cause: cause(of: after, against: before, metrics: metrics, steps: steps, slower: median(after) > median(before)),
                metric: metric == .total ? nil : metric.name))
        }
        return shifts
    }

    /// One metric against the runs of `history` that have it.
    func compare(_ metric: Metric, of run: RunMetrics, with history: [RunMetrics], relativeSpread: Double? = nil) -> Comparison? {
        guard let value = run.values[metric] else { return nil }
        guard let baseline = Baseline(history.compactMap { $0.values[metric] }), baseline.runs >= policy.minimumHistory else {
            return Comparison(metric: metric, value: value, verdict: .notEnoughHistory)
        }
        // A floor for the spread: a tenth of the practical floor, so identical rounded times do not make every change significant.
        // Durations vary by factors (a slow disk slows every layer in proportion), so the distance is measured on their
        // logarithm: 1.5× and 1/1.5× are as far, and the long right tail of timing noise is no alarm.
        let spread = max(baseline.scaledMAD(floor: policy.absoluteFloor / 10), (relativeSpread ?? 0) * baseline.median)
        let deviations = Self.distance(of: value, from: baseline.median, spread: spread)
        let change = value - baseline.median
        let verdict: Verdict = abs(deviations) > policy.bar(runs: baseline.runs) && policy.isPractical(from: baseline.median, to: value)
            ? (change > 0 ? .regression : .improvement) : .normal
        return Comparison(metric: metric, value: value, baseline: baseline, change: change,
                          relative: baseline.median > 0 ? change / baseline.median : nil, deviations: deviations, verdict: verdict)
    }

    /// The phase, image and build step whose time moved most from the medians of the `history` runs to the medians of
    /// the `group` (one regressed run, or the runs after a level shift), in the direction asked (else that of the total).
    func cause(of group: [Int], against history: [Int], metrics: [RunMetrics], steps: StepTimes, slower: Bool? = nil) -> Cause {
        let now = group.map { metrics[$0] }, before = history.map { metrics[$0] }
        let direction: Double = (slower ?? (Self.median(.total, now) ?? 0 >= Self.median(.total, before) ?? 0)) ? 1 : -1
        func largest<Item>(_ keys: Set<String>, _ group: [Item], _ history: [Item], _ value: (Item, String) -> Double?) -> Cause.Part? {
            keys.compactMap { key -> Cause.Part? in
                guard let after = Baseline.median(group.compactMap { value($0, key) }),
                      let before = Baseline(history.map { value($0, key) ?? 0 }) else { return nil }
                // A part that moved within its own noise explains nothing, however much of the total it is.
                guard beyondNoise(after, before) else { return nil }
                return Cause.Part(name: key, seconds: after, baseline: before.median)
            }
            .filter { $0.change * direction > 0 }
            .max { ($0.change * direction, $1.name) < ($1.change * direction, $0.name) }
        }
        let names = { (prefix: String) in Set(now.flatMap { $0.values.keys.compactMap { $0.suffix(prefix) } }) }
        let stepsNow = group.map(steps.of), stepsBefore = history.map(steps.of)
        return Cause(
            phase: largest(names("phase:"), now, before) { $0.values[.phase($1)] },
            image: largest(names("image:"), now, before) { $0.values[.image($1)] },
            step: largest(Set(stepsNow.flatMap(\.keys)), stepsNow, stepsBefore) { $0[$1] })
    }

    /// Whether `value` is far from `baseline` by the bar a run's metric must pass (see `compare`).
    func beyondNoise(_ value: Double, _ baseline: Baseline) -> Bool {
        abs(Self.distance(of: value, from: baseline.median, spread: baseline.scaledMAD(floor: policy.absoluteFloor / 10))) > policy.bar(runs: baseline.runs)
    }

    /// How far `value` is from `median`, in `spread`s, on the log scale: durations vary by factors, so 1.5× and
    /// 1/1.5× are as far.
    static func distance(of value: Double, from median: Double, spread: Double) -> Double {
        median > 0 && value > 0 ? log(value / median) / (spread / median) : (value - median) / spread
    }

    private static func median(_ metric: Metric, _ runs: [RunMetrics]) -> Double? {
        Baseline.median(runs.compactMap { $0.values[metric] })
    }

    /// The run against its class's budget bands.
    func budget(of run: Run, metrics: RunMetrics) -> [BudgetCheck] {
        // A failed or cut-short run's durations are partial: they say nothing about the budget.
        guard run.status == .succeeded, let runClass = run.classification.runClass, let bands = configuration.budgets[runClass] else { return [] }
        return bands.keys.sorted().compactMap { name in
            let band = bands[name]!
            guard let value = metrics.values[name == "total" ? .total : .phase(name)] else { return nil }
            let status: BudgetCheck.Status = value > band.upperBound ? .over : value < band.lowerBound ? .under : .within
            return BudgetCheck(name: name, value: value, low: band.lowerBound, high: band.upperBound, status: status)
        }
    }
}

/// The step times of runs, worked out the first time a cause asks for a run's: most runs never need them.
final class StepTimes {
    private let runs: [Run]
    private var cache: [Int: [String: Double]] = [:]

    init(_ runs: [Run]) { self.runs = runs }

    func of(_ index: Int) -> [String: Double] {
        if let known = cache[index] { return known }
        let steps = RunMetrics.steps(of: runs[index])
        cache[index] = steps
        return steps
    }
}
