import Foundation

/// What a comparison with the baseline concluded.
public enum Verdict: String, Sendable, Codable {
    /// Slower than comparable runs, statistically and practically.
    case regression
    /// Faster than comparable runs, statistically and practically.
    case improvement
    case normal
    /// Fewer comparable runs than the minimum: no guess is made.
    case notEnoughHistory = "not-enough-history"
    /// One of the first runs after an established level shift: the new level, not an alert.
    case followsShift = "follows-shift"
    /// Not comparable: the class is unknown, or the run failed or was cut short.
    case notCompared = "not-compared"
}

/// One metric of a run against its baseline.
public struct Comparison: Sendable, Equatable, Codable {
    public var metric: Metric
    public var value: Double
    public var baseline: Baseline?
    /// Seconds above (+) or below (−) the baseline's median.
    public var change: Double?
    /// `change` as a fraction of the median.
    public var relative: Double?
    /// How many scaled MADs from the median.
    public var deviations: Double?
    public var verdict: Verdict
}

/// What contributed most to a change: the phase, the image build and the build step whose time moved most.
public struct Cause: Sendable, Equatable, Codable {
    public struct Part: Sendable, Equatable, Codable {
        /// `build`, `trading-dashboard`, `trading-dashboard › COPY . .`.
        public var name: String
        public var seconds: Double
        public var baseline: Double
        public var change: Double { seconds - baseline }
    }

    public var phase: Part?
    public var image: Part?
    public var step: Part?
}

/// A run's duration against its class's promised band.
public struct BudgetCheck: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case within, over, under }
    /// `total` or a phase name.
    public var name: String
    public var value: Double
    public var low: Double
    public var high: Double
    public var status: Status
}

/// Everything the report says about one run.
public struct RunAssessment: Sendable, Equatable, Codable {
    public var runID: Int64?
    public var pipeline: Int?
    public var commit: String?
    public var branch: String?
    public var startedAt: Date?
    public var runClass: RunClass?
    public var status: RunStatus
    public var total: Double?
    /// Each measured phase's seconds.
    public var phases: [String: Double]
    public var verdict: Verdict
    /// Why it was not compared, how much history there was, or which level shift it starts or follows.
    public var note: Fact?
    /// Each metric against its baseline. A run the analysis was not asked to detail has only its verdict and note: no
    /// comparisons, phases, budget, cause or hints.
    public var comparisons: [Comparison]
    /// For a regression or an improvement: where the time went.
    public var cause: Cause?
    public var budget: [BudgetCheck]
    public var hints: [Hint]

    /// Over its budget band anywhere.
    public var overBudget: Bool { budget.contains { $0.status == .over } }

    /// Whether this run is the first at a new level of its class (its regression or improvement is the shift's).
    public var startsLevelShift: Bool { note?.kind == .startsLevelShift }
}

/// Where a class's runs changed level, and by how much.
public struct LevelShift: Sendable, Equatable, Codable {
    public var runClass: RunClass
    /// The first run at the new level.
    public var runID: Int64?
    public var pipeline: Int?
    public var commit: String?
    public var startedAt: Date?
    /// Median total (or `metric`) before and after.
    public var before: Double
    public var after: Double
    public var runsBefore: Int
    public var runsAfter: Int
    public var cause: Cause?
    /// The phase whose level changed (`phase:deploy`) when the total's did not; nil for the total.
    public var metric: String?
    /// The repository whose runs shifted (a database may hold several); nil for runs that name none.
    public var repo: String? = nil

    public var change: Double { after - before }
    public var relative: Double { before > 0 ? change / before : 0 }
}
