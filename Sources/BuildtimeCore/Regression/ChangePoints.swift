/// Finds where a series changed level, by binary segmentation in the manner of E-divisive (Apache Otava/Hunter): the
/// split of a segment whose two sides differ most is kept when a permutation test says noise alone rarely splits as
/// well, and when the sides' medians differ by a practical amount; then each side is searched again.
///
/// The split statistic is a two-sample t on the values clipped to 5 scaled MADs of the segment's median, so a single
/// wild run cannot dominate it, while a real shift keeps its place and most of its size.
public struct ChangePointDetector: Sendable {
    public var policy: RegressionPolicy
    /// Shuffles per test; with 199 the smallest possible p-value is 0.005.
    public var permutations = 199

    public init(policy: RegressionPolicy = .default) { self.policy = policy }

    /// The indices at which a new level starts, in order.
    public func changePoints(_ values: [Double]) -> [Int] {
        var found: [Int] = []
        search(values, range: 0..<values.count, into: &found)
        return found.sorted()
    }

    private func search(_ values: [Double], range: Range<Int>, into found: inout [Int]) {
        let minimum = max(2, policy.shiftMinimumRuns)
        guard range.count >= 2 * minimum else { return }
        let segment = Array(values[range])
        let clipped = Self.clipped(segment)
        var scratch = Scratch(count: clipped.count)
        guard let best = Self.bestSplit(clipped, minimum: minimum, scratch: &scratch) else { return }
        let before = Baseline.median(Array(segment[..<best.index]))!, after = Baseline.median(Array(segment[best.index...]))!
        guard policy.isPractical(from: before, to: after) else { return }
        // A split this strong is beyond what noise gives (a t of 8 is p < 1e-10 for any one split, and there are fewer
        // than 1e6 splits): the permutations would only confirm it. Below that, they decide.
        if best.score < Self.certain {
            var generator = SplitMix64(seed: UInt64(range.lowerBound &* 7919 &+ range.count))
            var shuffled = clipped
            let allowed = Int(policy.shiftSignificance * Double(permutations + 1)) - 1
            var asStrong = 0
            for _ in 0..<permutations where asStrong <= allowed {
                shuffled.shuffle(using: &generator)
                if let split = Self.bestSplit(shuffled, minimum: minimum, scratch: &scratch), split.score >= best.score { asStrong += 1 }
            }
            guard asStrong <= allowed else { return }
        }
        let split = range.lowerBound + best.index
        found.append(split)
        search(values, range: range.lowerBound..<split, into: &found)
        search(values, range: split..<range.upperBound, into: &found)
    }

    /// The t above which a split is taken without permutations.
    static let certain = 8.0

    /// Prefix sums, allocated once per segment.
    struct Scratch {
        var sum: [Double]
        var squares: [Double]

        init(count: Int) {
            sum = [Double](repeating: 0, count: count + 1)
            squares = [Double](repeating: 0, count: count + 1)
        }
    }

    /// The split (first index of the right side) with the largest two-sample t, each side at least `minimum` long.
    static func bestSplit(_ x: [Double], minimum: Int) -> (index: Int, score: Double)? {
        var scratch = Scratch(count: x.count)
        return bestSplit(x, minimum: minimum, scratch: &scratch)
    }

    static func bestSplit(_ x: [Double], minimum: Int, scratch: inout Scratch) -> (index: Int, score: Double)? {
        let n = x.count
        guard n >= 2 * minimum else { return nil }
        for i in 0..<n {
            scratch.sum[i + 1] = scratch.sum[i] + x[i]
            scratch.squares[i + 1] = scratch.squares[i] + x[i] * x[i]
        }
        let sum = scratch.sum, squares = scratch.squares
        var best: (index: Int, score: Double)?
        for k in minimum...(n - minimum) {
            let left = Double(k), right = Double(n - k)
            let meanLeft = sum[k] / left, meanRight = (sum[n] - sum[k]) / right
            let within = (squares[k] - left * meanLeft * meanLeft) + (squares[n] - squares[k] - right * meanRight * meanRight)
            let variance = max(within / Double(n - 2), 1e-9)
            let score = abs(meanLeft - meanRight) / (variance * (1 / left + 1 / right)).squareRoot()
            if best == nil || score > best!.score { best = (k, score) }
        }
        return best
    }

    /// The values limited to the median ± 5 scaled MADs (winsorized).
    static func clipped(_ values: [Double]) -> [Double] {
        guard let baseline = Baseline(values) else { return values }
        let reach = 5 * baseline.scaledMAD(floor: 1e-9)
        return values.map { min(max($0, baseline.median - reach), baseline.median + reach) }
    }
}

/// A small, fast, seeded generator: the same history always gives the same report.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
