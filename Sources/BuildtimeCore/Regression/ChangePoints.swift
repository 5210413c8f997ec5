/// Finds where a series changed level with a windowed two-sample test, in the manner of Apache Otava/Hunter: every
/// point is scored by how much the runs just before it differ from the runs just after it (at most `sideRuns` each
/// side); the strongest points are taken first, each when a permutation test on its window says noise alone rarely
/// splits as well and the two sides' medians differ by a practical amount. A window stops at a point already taken, so
/// a shift and its fix a few runs later are both found, which one split over the whole series would miss.
///
/// The statistic is a two-sample t on the values clipped to 5 scaled MADs of the series' median, so a single wild run
/// cannot dominate it, while a real shift keeps its place and most of its size.
public struct ChangePointDetector: Sendable {
    public var policy: RegressionPolicy
    /// Shuffles per test; with 199 the smallest possible p-value is 0.005.
    public var permutations = 199
    /// Runs compared on each side of a point.
    public var sideRuns = 12

    public init(policy: RegressionPolicy = .default) { self.policy = policy }

    /// The indices at which a new level starts, in order.
    public func changePoints(_ values: [Double]) -> [Int] {
        let minimum = max(2, policy.shiftMinimumRuns)
        let side = max(sideRuns, minimum)
        guard values.count >= 2 * minimum else { return [] }
        let clipped = Self.clipped(values)
        var sum = [Double](repeating: 0, count: values.count + 1), squares = sum
        for (index, value) in clipped.enumerated() {
            sum[index + 1] = sum[index] + value
            squares[index + 1] = squares[index] + value * value
        }
        /// The t between [low, k) and [k, high), from prefix sums.
        func score(_ k: Int, _ low: Int, _ high: Int) -> Double {
            let left = Double(k - low), right = Double(high - k)
            let meanLeft = (sum[k] - sum[low]) / left, meanRight = (sum[high] - sum[k]) / right
            let within = (squares[k] - squares[low] - left * meanLeft * meanLeft) + (squares[high] - squares[k] - right * meanRight * meanRight)
            let variance = max(within / Double(high - low - 2), 1e-9)
            return abs(meanLeft - meanRight) / (variance * (1 / left + 1 / right)).squareRoot()
        }
        let candidates = (minimum...(values.count - minimum)).map { k in
            (k: k, score: score(k, max(0, k - side), min(values.count, k + side)))
        }.sorted { ($0.score, $1.k) > ($1.score, $0.k) }
        // The points taken, in order: a window's neighbours are found by bisection, not by a pass over all of them.
        var accepted: [Int] = []
        /// The first position in `accepted` whose point is after `k`.
        func after(_ k: Int) -> Int {
            var (low, high) = (0, accepted.count)
            while low < high {
                let middle = (low + high) / 2
                if accepted[middle] <= k { low = middle + 1 } else { high = middle }
            }
            return low
        }
        /// The window around `k`, cut at the points already taken on either side.
        func window(_ k: Int) -> (Int, Int) {
            let next = after(k)
            return (max(max(0, k - side), next > 0 ? accepted[next - 1] : 0), min(min(values.count, k + side), next < accepted.count ? accepted[next] : values.count))
        }
        // The window each point was last judged on. Windows only shrink as points are taken, so a point met again on
        // the window it was judged on is met unchanged.
        var judged = [(from: Int, to: Int)](repeating: (-1, -1), count: values.count + 1)
        for candidate in candidates {
            let (low, high) = window(candidate.k)
            guard high - low >= 2 * minimum else { continue }
            // Within that one window, the best split: a wild run near a shift can lift a neighbour's own window.
            var k = low + minimum, best = score(k, low, high)
            for split in (low + minimum + 1)...max(low + minimum + 1, high - minimum) where split <= high - minimum {
                let t = score(split, low, high)
                if t > best { (k, best) = (split, t) }
            }
            let position = after(k)
            guard position == 0 || accepted[position - 1] != k else { continue }
            // Judged on its own window, not the candidate's: at the edge of that, a wild run and two more would pass
            // for a new level.
            let (from, to) = window(k)
            guard k - from >= minimum, to - k >= minimum else { continue }
            // Many candidates near a point have it as their best split: a point judged on the same window is judged
            // the same (the test's shuffles are seeded by the window), so it is judged once.
            guard judged[k] != (from, to) else { continue }
            judged[k] = (from, to)
            let before = Baseline.median(values[from..<k])!, after = Baseline.median(values[k..<to])!
            guard policy.isPractical(from: before, to: after), significant(score(k, from, to), window: Array(clipped[from..<to]), minimum: minimum)
            else { continue }
            accepted.insert(k, at: position)
        }
        return accepted
    }

    /// Whether noise rarely gives a split of `window` as strong as `observed`. A t beyond `certain` needs no shuffles.
    private func significant(_ observed: Double, window: [Double], minimum: Int) -> Bool {
        guard observed < Self.certain, window.count >= 2 * minimum else { return true }
        var generator = SplitMix64(seed: UInt64(window.count &* 7919) &+ UInt64(observed.bitPattern & 0xFFFF))
        var shuffled = window
        let test = SplitTest(count: window.count, minimum: minimum, total: window.reduce(0, +), squares: window.reduce(0) { $0 + $1 * $1 })
        let allowed = Int(policy.shiftSignificance * Double(permutations + 1)) - 1
        var asStrong = 0
        for _ in 0..<permutations where asStrong <= allowed {
            shuffled.shuffle(using: &generator)
            if test.anySplit(of: shuffled, asStrongAs: observed) { asStrong += 1 }
        }
        return asStrong <= allowed
    }

    /// The t above which a split is taken without permutations.
    static let certain = 8.0

    /// The two-sample t of every split of a shuffled window, each side at least `minimum` long. A shuffle keeps the
    /// window's sum and sum of squares, so a split's t needs only the sum on its left: t² = d² / (s² (1/L + 1/R)),
    /// with d the difference of the means and s² = (Q − S_L²/L − S_R²/R) / (n − 2).
    struct SplitTest {
        let count: Int, minimum: Int
        let total: Double, squares: Double
        /// 1/L, 1/R and their sum for each split.
        let inverses: [(left: Double, right: Double, both: Double)]

        init(count: Int, minimum: Int, total: Double, squares: Double) {
            self.count = count
            self.minimum = minimum
            self.total = total
            self.squares = squares
            inverses = (minimum...(count - minimum)).map { k in
                let left = 1 / Double(k), right = 1 / Double(count - k)
                return (left, right, left + right)
            }
        }

        /// Whether some split of `x` (a shuffle of the window) has a t of at least `observed`.
        func anySplit(of x: [Double], asStrongAs observed: Double) -> Bool {
            let bar = observed * observed, degrees = 1 / Double(count - 2)
            return x.withUnsafeBufferPointer { x in
                var left = 0.0
                for i in 0..<minimum { left += x[i] }
                for (offset, inverse) in inverses.enumerated() {
                    let right = total - left
                    let difference = left * inverse.left - right * inverse.right
                    let variance = max((squares - left * left * inverse.left - right * right * inverse.right) * degrees, 1e-9)
                    if difference * difference >= bar * variance * inverse.both { return true }
                    left += x[minimum + offset]
                }
                return false
            }
        }
    }

    /// The values limited to the median ± 5 scaled MADs (winsorized).
    static func clipped(_ values: [Double]) -> [Double] {
        guard let baseline = Baseline(values) else { return values }
        let reach = 5 * baseline.scaledMAD(floor: 1e-9)
        return values.map { min(max($0, baseline.median - reach), baseline.median + reach) }
    }
}

/// A small, fast, seeded generator: the same history always gives the same report.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
