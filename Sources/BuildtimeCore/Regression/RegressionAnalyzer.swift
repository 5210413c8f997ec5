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
        /// The runs analysed, oldest first.
        public var points: [RunPoint]
        /// One assessment per point, in the same order.
        public var assessments: [RunAssessment]
        public var shifts: [LevelShift]
        /// The whole runs the analysis read, by index into `points`: the detailed ones, and those a cause compared.
        public var runs: [Int: Run]
    }

    /// Assesses `history` (any order; sorted by start time here). Hints and causes are worked out for the runs
    /// `hinted` accepts.
    public func analyze(_ history: [Run], hinted: (Run) -> Bool = { _ in true }) -> Outcome {
        let runs = Self.chronological(history)
        let byFingerprint = Dictionary(runs.map { ($0.fingerprint, $0) }, uniquingKeysWith: { first, _ in first })
        return analyze(runs.map(RunPoint.init), detailed: { byFingerprint[$0.fingerprint].map(hinted) ?? false }) { byFingerprint[$0.fingerprint] }
    }

    /// Assesses the runs of `history` (any order; sorted by time here) from their metrics alone. The points `detailed`
    /// accepts get everything a report shows: every metric's comparison, phases, budget, cause and hints (from the
    /// whole runs `details` loads: those points, and the runs a cause compares them with); the others their verdict
    /// and note. Level shifts get their cause when a report of the detailed runs shows them (`shownShifts`).
    public func analyze(_ history: [RunPoint], detailed: (RunPoint) -> Bool, details: @escaping (RunPoint) -> Run?) -> Outcome {
        let points = RunPoint.chronological(history)
        let loaded = Details(points, details)
        let chosen = points.indices.filter { detailed(points[$0]) }
        let wanted = Set(chosen)
        // A run not detailed gets its verdict and what decides it; its phases and budget are for showing it.
        var assessments = points.indices.map { index in
            let point = points[index], shown = wanted.contains(index)
            return RunAssessment(
                runID: point.id, pipeline: point.pipeline, commit: point.commit, branch: point.branch, startedAt: point.startedAt,
                runClass: point.runClass, status: point.status, total: point.total,
                phases: shown ? Dictionary(uniqueKeysWithValues: point.metrics.compactMap { metric, value in metric.suffix("phase:").map { ($0, value) } }) : [:],
                verdict: .notCompared, note: Self.whyNotCompared(point), comparisons: [], cause: nil, budget: shown ? budget(of: point) : [], hints: [])
        }
        // The classes are independent series. Their alerting metrics' change points are found first, each on a core
        // of its own (the longest first); then each class is assessed on one, writing only its own runs' assessments.
        // A database that holds several repositories keeps each one's classes apart: a class of one repository is never
        // compared with another's.
        let repositories = Set(points.map(\.repo)).sorted { ($0 ?? "") < ($1 ?? "") }
        let classes = repositories.flatMap { repo in
            RunClass.allCases.map { runClass in
                ClassSeries(runClass, repo: repo,
                            points.indices.filter { points[$0].runClass == runClass && points[$0].repo == repo && Self.isComparable(points[$0]) }, points)
            }
        }
        let detector = ChangePointDetector(policy: policy)
        let columns = classes.indices.flatMap { c in classes[c].columns.indices.map { (c, $0) } }
            .filter { classes[$0].complete[$1] }.sorted { classes[$0.0].series.count > classes[$1.0].series.count }
        var changePoints = [[Int]](repeating: [], count: columns.count)
        changePoints.withUnsafeMutableBufferPointer { buffer in
            let found = SharedBuffer(buffer)
            DispatchQueue.concurrentPerform(iterations: columns.count) { j in
                found.buffer[j] = detector.changePoints(classes[columns[j].0].columns[columns[j].1])
            }
        }
        let changed = changePoints
        var found = [[(shift: LevelShift, after: [Int], before: [Int])]](repeating: [], count: classes.count)
        let order = classes.indices.sorted { classes[$0].series.count > classes[$1].series.count }
        assessments.withUnsafeMutableBufferPointer { buffer in
            let assessments = SharedBuffer(buffer)
            found.withUnsafeMutableBufferPointer { found in
                let found = SharedBuffer(found)
                DispatchQueue.concurrentPerform(iterations: classes.count) { j in
                    let c = order[j]
                    let ofClass = columns.indices.filter { columns[$0].0 == c }.map { (columns[$0].1, changed[$0]) }
                    found.buffer[c] = compare(classes[c], changePoints: Dictionary(uniqueKeysWithValues: ofClass), points: points, detailed: wanted,
                                              details: loaded, into: assessments)
                }
            }
        }
        let classShifts = found.flatMap { $0 }
        var shifts = classShifts.map(\.shift)
        let groups = classShifts.map { (after: $0.after, before: $0.before) }
        // Each shift's cause, for those a report of the detailed runs shows: finding one reads whole runs.
        let oldest = chosen.first.map { points[$0].time }
        let shown = Set(Self.shownShifts(shifts, oldest: oldest).map { $0.runID })
        for index in shifts.indices where shown.contains(shifts[index].runID) {
            let (after, before) = groups[index]
            shifts[index].cause = cause(of: after, against: before, points: points, details: loaded, slower: shifts[index].after > shifts[index].before)
        }
        let hints = HintEngine(configuration: configuration, policy: policy, thresholds: thresholds)
        for index in chosen {
            guard let run = loaded.run(index) else { continue }
            assessments[index].hints = hints.hints(for: run, assessment: assessments[index])
        }
        return Outcome(points: points, assessments: assessments, shifts: shifts, runs: loaded.loaded)
    }

    /// The level shifts a report whose oldest run is at `oldest` shows (`shifts` oldest first): those inside the
    /// period, and for each class the latest before it, the level its runs are at.
    public static func shownShifts(_ shifts: [LevelShift], oldest: Date?) -> [LevelShift] {
        shifts.enumerated().filter { index, shift in
            let inside = oldest == nil || (shift.startedAt ?? .distantFuture) >= oldest!
            return inside || !shifts[(index + 1)...].contains { $0.runClass == shift.runClass && $0.repo == shift.repo }
        }.map(\.element)
    }

    /// The verdict of one stored run, as the report gives it: against the newest `history` runs of `store` (the run
    /// itself among them), with its hints.
    public func assessment(of run: Run, in store: any RunStore, history: Int = 1000) throws -> RunAssessment? {
        var points = try store.points(limit: history)
        if !points.contains(where: { $0.id == run.id }) { points.append(RunPoint(run)) }
        let outcome = analyze(points, detailed: { $0.id == run.id }) { point in
            point.id == run.id ? run : point.id.flatMap { try? store.run(id: $0) }
        }
        return outcome.assessments.first { $0.runID == run.id }
    }

    /// Oldest first, by start time (else the time it was stored), then id.
    public static func chronological(_ runs: [Run]) -> [Run] {
        runs.sorted { ($0.startedAt ?? $0.recordedAt, $0.id ?? 0) < ($1.startedAt ?? $1.recordedAt, $1.id ?? 0) }
    }

    /// A succeeded run with a measured total, whose class is known.
    static func isComparable(_ point: RunPoint) -> Bool {
        point.status == .succeeded && point.total != nil && point.runClass != nil
    }

    private static func whyNotCompared(_ point: RunPoint) -> Fact? {
        if point.runClass == nil { return Fact(.classUnknown) }
        if point.status != .succeeded { return Fact(.notSucceeded) { $0.status = point.status.rawValue } }
        if point.total == nil { return Fact(.noTimestamps) }
        return nil
    }

    /// Assesses the runs of one class (oldest first) and returns its level shifts, each with the runs its cause would
    /// compare (the first `window` at the new level against the last `window` before). `changePoints` holds those of
    /// each alerting metric with no gaps, by its column. A cause is found for the `detailed` runs that regressed or
    /// improved. `points` may carry only their alerting metrics: the others are read from whole runs (`details`) where
    /// a detailed run or a cause needs them.
    private func compare(_ table: ClassSeries, changePoints: [Int: [Int]], points: [RunPoint], detailed: Set<Int>, details: Details,
                         into shared: SharedBuffer<RunAssessment>) -> [(shift: LevelShift, after: [Int], before: [Int])] {
        let assessments = shared.buffer
        let (runClass, series, alerting, columns) = (table.runClass, table.series, table.alerting, table.columns)
        // Level shifts of the alerting metrics: the total's, then a phase's that the total does not show (a deploy
        // 10 s slower in a 7-minute cold build). Every metric's baseline restarts at each.
        var shifted: [Int: Int] = [:]
        for m in alerting.indices {
            for k in changePoints[m] ?? [] where alerting[m] == .total || !shifted.keys.contains(where: { abs($0 - k) <= 1 }) {
                shifted[k] = m
            }
        }
        let starts = [0] + shifted.keys.sorted()
        var flagged = [Bool](repeating: false, count: series.count)
        var shifts: [(shift: LevelShift, after: [Int], before: [Int])] = []
        var segment = 0
        var window: [Int] = [], scratch: [Double] = [], baselineNotes: [Int: Fact] = [:]
        for (position, index) in series.enumerated() {
            while segment + 1 < starts.count, starts[segment + 1] <= position { segment += 1 }
            let start = starts[segment]
            let candidates: Range<Int>
            var note: Fact?
            if position == start, segment > 0 {
                candidates = starts[segment - 1]..<start
                note = Fact(.startsLevelShift)
            } else if segment > 0, position - start < policy.minimumHistory {
                let first = points[series[start]]
                assessments[index].verdict = .followsShift
                assessments[index].note = Fact(.followsShift) { $0.pipeline = first.pipeline; $0.run = first.id }
                continue
            } else {
                candidates = start..<position
            }
            // The latest `window` unflagged runs, found walking back: not a filter over a long segment for every run.
            window.removeAll(keepingCapacity: true)
            for candidate in candidates.reversed() where !flagged[candidate] {
                window.append(candidate)
                if window.count == policy.window { break }
            }
            window.reverse()
            guard window.count >= policy.minimumHistory else {
                assessments[index].verdict = .notEnoughHistory
                assessments[index].note = Fact(.notEnoughHistory) { $0.count = window.count; $0.total = policy.minimumHistory }
                continue
            }
            // Just after a level shift the new level has few runs, whose MAD can be near nothing: the noise of the
            // level before, relative to its median, stands as the least (timing noise scales with the time).
            let earlier = segment > 0 && window.count < policy.window ? (starts[segment - 1]..<start).suffix(policy.window) : 0..<0
            let verdict: Verdict
            if detailed.contains(index) {
                // Every metric for a detailed run, from the whole runs: its hints and cause read them.
                let history = window.map { series[$0] }
                let values = details.metrics(index), baselines = history.map(details.metrics)
                let before = earlier.map { details.metrics(series[$0]) }
                let comparisons = values.keys.sorted().compactMap { metric in
                    compare(metric, of: values, with: baselines,
                            relativeSpread: Baseline(before.compactMap { $0[metric] })?.relativeSpread(minimum: policy.minimumHistory))
                }
                verdict = Self.verdict(comparisons.lazy.filter { $0.metric.raisesAlerts }.map(\.verdict))
                assessments[index].comparisons = comparisons
                if verdict != .normal {
                    assessments[index].cause = cause(of: [index], against: history, points: points, details: details, slower: verdict == .regression)
                }
            } else {
                // For the rest the alerting metrics, which decide; only the verdict is kept.
                verdict = Self.verdict(alerting.indices.lazy.compactMap { m -> Verdict? in
                    let column = columns[m]
                    guard !column[position].isNaN else { return nil }
                    scratch.removeAll(keepingCapacity: true)
                    for p in earlier where !column[p].isNaN { scratch.append(column[p]) }
                    let spread = Baseline(scratch)?.relativeSpread(minimum: policy.minimumHistory)
                    scratch.removeAll(keepingCapacity: true)
                    for p in window where !column[p].isNaN { scratch.append(column[p]) }
                    return compare(alerting[m], value: column[position], with: scratch, relativeSpread: spread).verdict
                })
            }
            assessments[index].verdict = verdict
            // One note for each size of baseline: the same fact, shared.
            if note == nil {
                if baselineNotes[window.count] == nil { baselineNotes[window.count] = Fact(.baseline) { $0.count = window.count; $0.runClass = runClass } }
                note = baselineNotes[window.count]
                if verdict != .normal { flagged[position] = true }
            }
            assessments[index].note = note
        }
        for (segment, start) in starts.enumerated().dropFirst() {
            let before = Array(starts[segment - 1]..<start).suffix(policy.window)
            let end = segment + 1 < starts.count ? starts[segment + 1] : series.count
            let after = Array(start..<end)
            let first = points[series[start]]
            let m = shifted[start]!
            let median = { (positions: [Int]) in Baseline.median(positions.map { columns[m][$0] }) ?? 0 }
            shifts.append((LevelShift(
                runClass: runClass, runID: first.id, pipeline: first.pipeline, commit: first.commit,
                startedAt: first.startedAt, before: median(Array(before)), after: median(after), runsBefore: before.count, runsAfter: after.count,
                cause: nil, metric: alerting[m] == .total ? nil : alerting[m].name, repo: table.repo),
                after.prefix(policy.window).map { series[$0] }, before.map { series[$0] }))
        }
        return shifts
    }

    /// A regression if any alerting metric regressed, else an improvement if any improved.
    private static func verdict(_ verdicts: some Sequence<Verdict>) -> Verdict {
        var improved = false
        for verdict in verdicts {
            if verdict == .regression { return .regression }
            if verdict == .improvement { improved = true }
        }
        return improved ? .improvement : .normal
    }

    /// One metric against the runs of `history` that have it.
    func compare(_ metric: Metric, of run: [Metric: Double], with history: [[Metric: Double]], relativeSpread: Double? = nil) -> Comparison? {
        guard let value = run[metric] else { return nil }
        return compare(metric, value: value, with: history.compactMap { $0[metric] }, relativeSpread: relativeSpread)
    }

    /// One metric's `value` against the same metric of the baseline runs (`history`).
    func compare(_ metric: Metric, value: Double, with history: [Double], relativeSpread: Double? = nil) -> Comparison {
        guard let baseline = Baseline(history), baseline.runs >= policy.minimumHistory else {
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
    func cause(of group: [Int], against history: [Int], points: [RunPoint], details: Details, slower: Bool? = nil) -> Cause {
        let now = group.map(details.metrics), before = history.map(details.metrics)
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
        let names = { (prefix: String) in Set(now.flatMap { $0.keys.compactMap { $0.suffix(prefix) } }) }
        let stepsNow = group.map(details.steps), stepsBefore = history.map(details.steps)
        return Cause(
            phase: largest(names("phase:"), now, before) { $0[.phase($1)] },
            image: largest(names("image:"), now, before) { $0[.image($1)] },
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

    private static func median(_ metric: Metric, _ runs: [[Metric: Double]]) -> Double? {
        Baseline.median(runs.compactMap { $0[metric] })
    }

    /// The run against its class's budget bands.
    func budget(of point: RunPoint) -> [BudgetCheck] {
        // A failed or cut-short run's durations are partial: they say nothing about the budget.
        guard point.status == .succeeded, let runClass = point.runClass, let bands = configuration.budgets[runClass] else { return [] }
        return bands.keys.sorted().compactMap { name in
            let band = bands[name]!
            guard let value = point.metrics[name == "total" ? .total : .phase(name)] else { return nil }
            let status: BudgetCheck.Status = value > band.upperBound ? .over : value < band.lowerBound ? .under : .within
            return BudgetCheck(name: name, value: value, low: band.lowerBound, high: band.upperBound, status: status)
        }
    }
}

/// The comparable runs of one class, oldest first (`series`, indices into the points), and their alerting metrics as
/// columns by position in the series (NaN where a run lacks the metric): the verdicts of the runs not detailed, the
/// change points and the levels read these, not a dictionary per run.
struct ClassSeries: Sendable {
    let runClass: RunClass
    /// The repository of its runs (nil: runs that name none).
    let repo: String?
    let series: [Int]
    /// Total first, then the phases by name.
    let alerting: [Metric]
    let columns: [[Double]]
    /// Whether every run of the series has the column's metric.
    let complete: [Bool]

    init(_ runClass: RunClass, repo: String?, _ series: [Int], _ points: [RunPoint]) {
        self.runClass = runClass
        self.repo = repo
        self.series = series
        // One pass over each run's few metrics; a new metric's column starts with the runs before it missing.
        var alerting: [Metric] = [], columns: [[Double]] = []
        for (position, index) in series.enumerated() {
            for (metric, value) in points[index].metrics where metric.raisesAlerts {
                guard let m = alerting.firstIndex(of: metric) else {
                    alerting.append(metric)
                    columns.append([Double](repeating: .nan, count: series.count))
                    columns[columns.count - 1][position] = value
                    continue
                }
                columns[m][position] = value
            }
        }
        let order = alerting.indices.sorted { alerting[$0] < alerting[$1] }
        self.alerting = order.map { alerting[$0] }
        self.columns = order.map { columns[$0] }
        complete = self.columns.map { !$0.contains(where: \.isNaN) }
    }
}

/// A buffer the classes' analyses write at once, each only its own elements (its runs' assessments, its shifts).
struct SharedBuffer<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}

/// The whole runs behind points, each loaded the first time it is asked for, and their step times: most runs never
/// need either.
final class Details: @unchecked Sendable {
    // The classes' analyses ask at once: one at a time here.
    private let lock = NSLock()
    private let points: [RunPoint]
    private let load: (RunPoint) -> Run?
    private var cache: [Int: Run?] = [:]

    /// The runs loaded, by index.
    var loaded: [Int: Run] {
        lock.lock()
        defer { lock.unlock() }
        return cache.compactMapValues { $0 }
    }
    private var stepTimes: [Int: [String: Double]] = [:]
    private var fullMetrics: [Int: [Metric: Double]] = [:]

    init(_ points: [RunPoint], _ load: @escaping (RunPoint) -> Run?) {
        self.points = points
        self.load = load
    }

    func run(_ index: Int) -> Run? {
        lock.lock()
        defer { lock.unlock() }
        return unlockedRun(index)
    }

    private func unlockedRun(_ index: Int) -> Run? {
        if let known = cache[index] { return known }
        let run = load(points[index])
        cache[index] = run
        return run
    }

    /// Every metric of the run at `index`, from the whole run (a point may carry only its alerting metrics), else the
    /// point's.
    func metrics(_ index: Int) -> [Metric: Double] {
        remembered(index, in: &fullMetrics) { unlockedRun(index).map { RunMetrics($0).values } ?? points[index].metrics }
    }

    /// Seconds per build step of the run at `index` (`RunMetrics.steps`); none when it cannot be loaded.
    func steps(_ index: Int) -> [String: Double] {
        remembered(index, in: &stepTimes) { unlockedRun(index).map(RunMetrics.steps) ?? [:] }
    }

    /// What `cache` holds for `index`, else what `make` gives, kept there; one caller at a time.
    private func remembered<Value>(_ index: Int, in cache: inout [Int: Value], _ make: () -> Value) -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let known = cache[index] { return known }
        let value = make()
        cache[index] = value
        return value
    }
}
