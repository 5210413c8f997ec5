import BuildtimeCore
import Foundation

/// Simulated histories of one run class with a known truth — noise only, one outlier, or one level shift — for the
/// calibration benchmark (`buildtime-bench stats`): how often the regression analysis raises a false alarm, finds an
/// outlier once, finds a shift at its run, and how soon.
///
/// A run is two phases, `build` and `deploy` (140 s and 60 s at their medians), each with its own noise; the total is
/// their sum. An outlier or a shift multiplies both, so the total moves by the factor named.
public struct CalibrationScenario: Sendable {
    public enum Noise: Sendable {
        var drift: Double? {
            if case .drift(_, let perRun) = self { perRun } else { nil }
        }

        /// Lognormal with this coefficient of variation.
        case lognormal(cv: Double)
        /// Two runner kinds: a quarter of the runs are `slower` times the rest, each mode with `cv`.
        case bimodal(cv: Double, slower: Double)
        /// Lognormal, and the level creeping up by `perRun` of itself every run.
        case drift(cv: Double, perRun: Double)
    }

    public enum Event: Sendable, Equatable {
        case none
        /// One run `factor` times the level, somewhere in the middle.
        case outlier(factor: Double)
        /// The level times `factor` from a run 10 to 40 runs in; `after` runs follow it.
        case shift(factor: Double, after: Int)
    }

    public var name: String
    public var noise: Noise
    public var event: Event
    /// Runs per series (a shift's series are as long as its position plus `after`).
    public var runs: ClosedRange<Int>

    public init(name: String, noise: Noise, event: Event = .none, runs: ClosedRange<Int> = 60...60) {
        self.name = name
        self.noise = noise
        self.event = event
        self.runs = runs
    }

    /// The scenarios of the parallel-build and verdict issues: noise at CV 3–15%, bimodal, drift, outliers of 1.5–3×,
    /// shifts of ±10% to +100%, short histories.
    public static let all: [CalibrationScenario] = [
        .init(name: "noise CV 3%", noise: .lognormal(cv: 0.03)),
        .init(name: "noise CV 6%", noise: .lognormal(cv: 0.06)),
        .init(name: "noise CV 10%", noise: .lognormal(cv: 0.10)),
        .init(name: "noise CV 15%", noise: .lognormal(cv: 0.15)),
        .init(name: "bimodal +12%", noise: .bimodal(cv: 0.04, slower: 1.12)),
        .init(name: "drift +0.25%/run", noise: .drift(cv: 0.06, perRun: 0.0025)),
        .init(name: "short 5-12 runs", noise: .lognormal(cv: 0.06), runs: 5...12),
        .init(name: "outlier 1.5x", noise: .lognormal(cv: 0.06), event: .outlier(factor: 1.5)),
        .init(name: "outlier 2x", noise: .lognormal(cv: 0.06), event: .outlier(factor: 2)),
        .init(name: "outlier 3x", noise: .lognormal(cv: 0.06), event: .outlier(factor: 3)),
        .init(name: "shift -10%", noise: .lognormal(cv: 0.06), event: .shift(factor: 0.9, after: 20)),
        .init(name: "shift +10%", noise: .lognormal(cv: 0.06), event: .shift(factor: 1.1, after: 20)),
        .init(name: "shift +25%", noise: .lognormal(cv: 0.06), event: .shift(factor: 1.25, after: 20)),
        .init(name: "shift +50%", noise: .lognormal(cv: 0.06), event: .shift(factor: 1.5, after: 20)),
        .init(name: "shift +100%", noise: .lognormal(cv: 0.06), event: .shift(factor: 2, after: 20)),
        .init(name: "shift +25% CV 10%", noise: .lognormal(cv: 0.10), event: .shift(factor: 1.25, after: 20)),
    ]
}

/// One simulated history: its totals and runs, and where its event is.
public struct CalibrationSeries: Sendable {
    public var totals: [Double]
    /// Each run's total without its noise: the level it is at.
    public var levels: [Double]
    public var runs: [Run]
    /// The outlier's run, or the first run at the new level.
    public var eventIndex: Int?

    /// The series `index` of `scenario`, the same for the same seed.
    public init(_ scenario: CalibrationScenario, index: Int, seed: UInt64) {
        var random = SplitMix64(seed: seed &* 0x9E37_79B9 &+ UInt64(index) &* 7919 &+ scenario.name.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) })
        var count = Int.random(in: scenario.runs, using: &random)
        switch scenario.event {
        case .none:
            eventIndex = nil
        case .outlier:
            eventIndex = Int.random(in: (count / 4)...(3 * count / 4), using: &random)
        case .shift(_, let after):
            eventIndex = Int.random(in: 10...40, using: &random)
            count = eventIndex! + after
        }
        var totals: [Double] = [], levels: [Double] = [], runs: [Run] = []
        for position in 0..<count {
            var factor = 1.0
            switch scenario.event {
            case .outlier(let size) where position == eventIndex: factor = size
            case .shift(let size, _) where position >= eventIndex!: factor = size
            default: break
            }
            let phases = [("build", 140.0), ("deploy", 60.0)].map { name, median -> PhaseTiming in
                PhaseTiming(name: name, duration: median * factor * Self.noise(scenario.noise, position: position, using: &random))
            }
            let total = phases.reduce(0) { $0 + $1.duration! }
            totals.append(total)
            levels.append(200 * factor * (scenario.noise.drift.map { pow(1 + $0, Double(position)) } ?? 1))
            let start = Date(timeIntervalSince1970: 1_780_000_000 + Double(position) * 3600)
            runs.append(Run(id: Int64(position + 1), fingerprint: "calibration-\(index)-\(position)", source: "simulated", format: .text,
                            metadata: RunMetadata(pipelineNumber: position + 1), startedAt: start, status: .succeeded, totalSeconds: total,
                            lineCount: 0, timeResolution: 0.001, phases: phases,
                            classification: Classification(runClass: .codeOnly, confidence: .high, source: .build, evidence: []),
                            recordedAt: start))
        }
        self.totals = totals
        self.levels = levels
        self.runs = runs
    }

    /// How change points (indices where a new level starts) stand against the truth: those that are no planted
    /// event, whether one sits on the outlier (its run or the next), and how far the nearest is from the shift.
    public func read(points: [Int], event: CalibrationScenario.Event) -> (false: Int, onOutlier: Bool, shiftDistance: Int?) {
        guard let at = eventIndex else { return (points.count, false, nil) }
        switch event {
        case .none:
            return (points.count, false, nil)
        case .outlier:
            let on = points.filter { $0 == at || $0 == at + 1 }
            return (points.count - on.count, !on.isEmpty, nil)
        case .shift:
            return (points.filter { abs($0 - at) > 3 }.count, false, points.map { abs($0 - at) }.min())
        }
    }

    private static func noise(_ noise: CalibrationScenario.Noise, position: Int, using random: inout SplitMix64) -> Double {
        switch noise {
        case .lognormal(let cv):
            return lognormal(cv: cv, using: &random)
        case .bimodal(let cv, let slower):
            return lognormal(cv: cv, using: &random) * (Double.random(in: 0..<1, using: &random) < 0.25 ? slower : 1)
        case .drift(let cv, let perRun):
            return lognormal(cv: cv, using: &random) * pow(1 + perRun, Double(position))
        }
    }

    /// A lognormal factor with median 1 and the given coefficient of variation.
    static func lognormal(cv: Double, using random: inout SplitMix64) -> Double {
        let sigma = (log(1 + cv * cv)).squareRoot()
        // Box–Muller.
        let u = Double.random(in: Double.ulpOfOne..<1, using: &random), v = Double.random(in: 0..<1, using: &random)
        return exp(sigma * (-2 * log(u)).squareRoot() * cos(2 * .pi * v))
    }
}

/// What the regression analysis said of the series of one scenario, summed.
public struct CalibrationScore: Sendable {
    public var series = 0
    /// Runs that are not the planted event, and alerts raised on them (a regression or improvement verdict, or a
    /// level shift accepted where none was planted).
    public var noiseRuns = 0, falseAlarms = 0
    /// Of the false alarms: runs said slower, runs said faster, level shifts.
    public var falseRegressions = 0, falseImprovements = 0, falseShifts = 0
    /// Series with an outlier: flagged at its run, flagged there more than once (a shift accepted at it or right
    /// after it too), taken for a shift.
    public var outliers = 0, outliersFlagged = 0, outliersFlaggedTwice = 0, outliersTakenForShift = 0
    /// Series with a shift: found within ±1 run, the sum of the location errors of those found within ±3, and
    /// alerts in the shift's direction after it was found against a baseline still nearer the old level than the new
    /// (repeats: the shift alerting again). An alert against a baseline at the new level is a false alarm like any other.
    public var shifts = 0, shiftsFound = 0, shiftsFoundNear = 0, locationError = 0, repeatAlerts = 0
    /// Runs after the shift until the analysis first found it within ±1 run (online, growing history), summed over
    /// the shifts found so, and how many were.
    public var runsUntilFound = 0, foundOnline = 0

    public init() {}

    public var falseAlarmsPer100: Double { noiseRuns > 0 ? 100 * Double(falseAlarms) / Double(noiseRuns) : 0 }

    /// Scores one series: the whole history once, and for a shift its growing prefixes until it is found.
    public mutating func add(_ series: CalibrationSeries, event: CalibrationScenario.Event, analyzer: RegressionAnalyzer) {
        self.series += 1
        // Detailed: the repeats read each run's comparison of its total.
        let outcome = analyzer.analyze(series.runs, hinted: { _ in true })
        let shiftStarts = outcome.shifts.compactMap { shift in shift.runID.map { Int($0) - 1 } }
        for (position, assessment) in outcome.assessments.enumerated() where position != series.eventIndex || event == .none {
            noiseRuns += 1
            if assessment.verdict == .regression || assessment.verdict == .improvement {
                // An alert on the first run of a shift found is the shift's, not noise.
                if case .shift = event, let at = series.eventIndex, abs(position - at) <= 1, shiftStarts.contains(position) { continue }
                if case .shift(let factor, _) = event, let at = series.eventIndex, position > at,
                   (assessment.verdict == .regression) == (factor > 1), shiftStarts.contains(where: { abs($0 - at) <= 1 }),
                   let baseline = assessment.comparisons.first(where: { $0.metric == .total })?.baseline?.median,
                   abs(log(baseline / series.levels[at - 1])) < abs(log(baseline / series.levels[position])) {
                    repeatAlerts += 1
                    continue
                }
                falseAlarms += 1
                if assessment.verdict == .regression { falseRegressions += 1 } else { falseImprovements += 1 }
            }
        }
        let points = series.read(points: shiftStarts, event: event)
        falseAlarms += points.false
        falseShifts += points.false
        switch event {
        case .none:
            break
        case .outlier:
            outliers += 1
            let flagged = outcome.assessments[series.eventIndex!].verdict == .regression
            if flagged { outliersFlagged += 1 }
            if points.onOutlier { outliersTakenForShift += 1 }
            if points.onOutlier && flagged { outliersFlaggedTwice += 1 }
        case .shift:
            shifts += 1
            let at = series.eventIndex!
            if let distance = points.shiftDistance, distance <= 1 { shiftsFound += 1 }
            if let distance = points.shiftDistance, distance <= 3 {
                shiftsFoundNear += 1
                locationError += distance
            }
            // Online: the history as it grows after the shift.
            for after in 3...(series.runs.count - at) {
                let prefix = Array(series.runs.prefix(at + after))
                let found = analyzer.analyze(prefix, hinted: { _ in false }).shifts.contains { shift in
                    shift.runID.map { abs(Int($0) - 1 - at) <= 1 } ?? false
                }
                if found {
                    runsUntilFound += after
                    foundOnline += 1
                    break
                }
            }
        }
    }

    public static func + (a: Self, b: Self) -> Self {
        var sum = a
        sum.series += b.series; sum.noiseRuns += b.noiseRuns; sum.falseAlarms += b.falseAlarms
        sum.falseRegressions += b.falseRegressions; sum.falseImprovements += b.falseImprovements; sum.falseShifts += b.falseShifts
        sum.outliers += b.outliers; sum.outliersFlagged += b.outliersFlagged; sum.outliersFlaggedTwice += b.outliersFlaggedTwice
        sum.outliersTakenForShift += b.outliersTakenForShift; sum.shifts += b.shifts; sum.shiftsFound += b.shiftsFound
        sum.shiftsFoundNear += b.shiftsFoundNear; sum.locationError += b.locationError; sum.repeatAlerts += b.repeatAlerts
        sum.runsUntilFound += b.runsUntilFound; sum.foundOnline += b.foundOnline
        return sum
    }
}
