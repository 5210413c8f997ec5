/// The typical value of a metric among comparable runs: their median, and the median absolute deviation (MAD) as a
/// spread that one wild run cannot inflate.
public struct Baseline: Sendable, Equatable, Codable {
    public var median: Double
    public var mad: Double
    /// How many runs it is made of.
    public var runs: Int

    public init(median: Double, mad: Double, runs: Int) {
        self.median = median
        self.mad = mad
        self.runs = runs
    }

    /// The baseline of `values`; nil when there are none.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        // Both medians in one scratch buffer on the stack: a report computes one baseline per run and metric.
        let (median, mad) = withUnsafeTemporaryAllocation(of: Double.self, capacity: values.count) { scratch in
            var buffer = scratch
            _ = buffer.initialize(from: values)
            buffer.sort()
            let median = Self.middle(of: UnsafeBufferPointer(buffer))
            // A NaN (only a hand-edited database holds one) has no place in any order: the deviations are sorted as
            // they always were, whatever that gives, rather than merged on an order that is not there.
            if buffer.contains(where: \.isNaN) {
                for index in buffer.indices { buffer[index] = abs(buffer[index] - median) }
                buffer.sort()
                return (median, Self.middle(of: UnsafeBufferPointer(buffer)))
            }
            return (median, Self.medianDeviation(sorted: UnsafeBufferPointer(buffer), from: median))
        }
        self.init(median: median, mad: mad, runs: values.count)
    }

    /// The MAD scaled to estimate a standard deviation under normal noise (× 1.4826), never below `floor`: runs that
    /// all took the same rounded time would otherwise make any difference infinitely significant.
    public func scaledMAD(floor: Double) -> Double { max(mad * 1.4826, floor) }

    /// The scaled MAD as a share of the median, when the baseline has at least `minimum` runs to tell it.
    public func relativeSpread(minimum: Int) -> Double? {
        runs >= minimum && median > 0 ? mad * 1.4826 / median : nil
    }

    /// How many scaled MADs `value` is from the median.
    public func distance(of value: Double, floor: Double) -> Double { (value - median) / scaledMAD(floor: floor) }

    public static func median(_ values: some Collection<Double>) -> Double? {
        guard !values.isEmpty else { return nil }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: values.count) { scratch in
            var buffer = scratch
            _ = buffer.initialize(from: values)
            buffer.sort()
            return middle(of: UnsafeBufferPointer(buffer))
        }
    }

    /// The median of the absolute deviations of sorted, non-empty `values` from their `median`, without sorting them
    /// again: the deviations below the median, read from it downwards, and those above it, read upwards, are each in
    /// order, so the middle of both is found by merging the two up to it.
    private static func medianDeviation(sorted values: UnsafeBufferPointer<Double>, from median: Double) -> Double {
        // Values below the median at [0, split), the others at [split, count).
        var low = 0, high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < median { low = middle + 1 } else { high = middle }
        }
        var below = low - 1, above = low
        /// The next smallest deviation of the two runs.
        func next() -> Double {
            if below >= 0, above == values.count || median - values[below] <= values[above] - median {
                below -= 1
                return median - values[below + 1]
            }
            above += 1
            return values[above - 1] - median
        }
        let middle = values.count / 2
        for _ in 0..<(values.count % 2 == 1 ? middle : middle - 1) { _ = next() }
        let first = next()
        return values.count % 2 == 1 ? first : (first + next()) / 2
    }

    /// The median of sorted, non-empty `values`.
    private static func middle(of sorted: UnsafeBufferPointer<Double>) -> Double {
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// When a difference from the baseline counts: it must be statistically far (`deviations` scaled MADs) and practically
/// large (`relativeMargin` of the baseline and `absoluteFloor` seconds), so a 6 s step that took 7 s is not an alert.
public struct RegressionPolicy: Sendable, Equatable {
    /// How many of the latest comparable runs make a baseline.
    public var window = 20
    /// Fewer comparable runs than this give "not enough history", never a guess.
    public var minimumHistory = 5
    /// The distance, in robust standard deviations on the log scale, beyond which a run is far from a baseline of
    /// very many runs; `bar(runs:)` widens it for the baselines a history has.
    public var deviations = 4.0
    public var relativeMargin = 0.15
    public var absoluteFloor = 8.0
    /// A level shift needs this many runs on each side (and is judged on at most `ChangePointDetector.sideRuns`).
    public var shiftMinimumRuns = 3
    /// The chance that noise alone shows a split as strong, below which a level shift is believed.
    public var shiftSignificance = 0.01

    public init() {}

    public static let `default` = RegressionPolicy()

    /// The distance beyond which a run is far from a baseline of `runs` runs: `deviations`, widened by what a median
    /// and a MAD of so few runs do not know (the median's own error, √(1 + π/2n), and the MAD's, one standard error of
    /// 1.17/√n). 20 runs: 1.31 × `deviations`; 5 runs (just after a level shift): 1.74 ×. Measured with
    /// `buildtime-bench stats`.
    public func bar(runs: Int) -> Double {
        let n = Double(max(runs, 1))
        return deviations * (1 + .pi / (2 * n)).squareRoot() * (1 + 1.17 / n.squareRoot())
    }

    /// Whether going from `baseline` to `value` is a practical change (either way).
    public func isPractical(from baseline: Double, to value: Double) -> Bool {
        let change = abs(value - baseline)
        return change >= absoluteFloor && change >= relativeMargin * baseline
    }
}
