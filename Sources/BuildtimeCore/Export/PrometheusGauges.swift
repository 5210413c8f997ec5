import Foundation

/// What a batch job exports for Prometheus, per repository: the newest run's duration per class and phase, the time of
/// the last success, whether each class's newest run regressed, and the machine's build cache and free disk from the
/// newest run that saw them. Gauges with low-cardinality labels only (repository, class, phase): never a run id or a
/// commit. `PrometheusRenderer` writes them in the exposition format.
public struct PrometheusGauges: Sendable, Equatable {
    public struct Gauge: Sendable, Equatable {
        public var name: String
        /// Label names and values, in order.
        public var labels: [Label]
        public var value: Double

        public struct Label: Sendable, Equatable {
            public var name: String
            public var value: String
        }
    }

    /// One group per repository (`""` for runs that name none), in name order.
    public struct Group: Sendable, Equatable {
        public var repository: String
        public var gauges: [Gauge]
    }

    public var groups: [Group]

    /// The gauges' names (their help texts are the renderer's).
    public static let runDuration = "buildtime_run_duration_seconds"
    public static let phaseDuration = "buildtime_phase_duration_seconds"
    public static let lastSuccess = "buildtime_last_success_timestamp_seconds"
    public static let regression = "buildtime_regression"
    public static let buildCache = "buildtime_build_cache_bytes"
    public static let diskFree = "buildtime_disk_free_bytes"

    public init(groups: [Group]) { self.groups = groups }

    /// The gauges of the newest `history` runs of `store`; verdicts from `analyzer`, per repository.
    public init(store: any RunStore, analyzer: RegressionAnalyzer, history: Int = 1000) throws {
        let points = try store.points(limit: history)
        let repositories = Dictionary(grouping: points) { $0.repo ?? "" }
        groups = try repositories.keys.sorted().map { repository in
            try Self.group(repository, points: repositories[repository]!, store: store, analyzer: analyzer)
        }
    }

    private static func group(_ repository: String, points: [RunPoint], store: any RunStore, analyzer: RegressionAnalyzer) throws -> Group {
        var gauges: [Gauge] = []
        func gauge(_ name: String, _ labels: [(String, String)], _ value: Double) {
            guard value.isFinite else { return }
            gauges.append(Gauge(name: name, labels: [.init(name: "repository", value: repository)] + labels.map { .init(name: $0.0, value: $0.1) }, value: value))
        }
        let chronological = RunPoint.chronological(points)
        let succeeded = chronological.filter { $0.status == .succeeded }
        for runClass in RunClass.allCases {
            guard let newest = succeeded.last(where: { $0.runClass == runClass && $0.total != nil }) else { continue }
            gauge(runDuration, [("class", runClass.rawValue)], newest.total!)
            for (metric, value) in newest.metrics.sorted(by: { $0.key < $1.key }) {
                if let phase = metric.suffix("phase:") { gauge(phaseDuration, [("class", runClass.rawValue), ("phase", phase)], value) }
            }
        }
        if let last = succeeded.last {
            gauge(lastSuccess, [], last.time.timeIntervalSince1970 + (last.startedAt != nil ? last.total ?? 0 : 0))
        }
        // Each class's newest comparable run, judged against its own history.
        let outcome = analyzer.analyze(chronological, detailed: { _ in false }) { _ in nil }
        var newestVerdict: [RunClass: Verdict] = [:]
        for (point, assessment) in zip(outcome.points, outcome.assessments) where RegressionAnalyzer.isComparable(point) {
            newestVerdict[point.runClass!] = assessment.verdict
        }
        for runClass in RunClass.allCases {
            guard let verdict = newestVerdict[runClass] else { continue }
            gauge(regression, [("class", runClass.rawValue)], verdict == .regression ? 1 : 0)
        }
        // The machine, from the newest runs that saw it (a whole run each: the context is not in the metric table).
        var cache: Double?, free: Double?
        for point in chronological.reversed().prefix(50) where cache == nil || free == nil {
            guard let id = point.id, let context = try store.run(id: id)?.context else { continue }
            if cache == nil { cache = context.docker?.buildCache?.size }
            if free == nil { free = (context.end ?? context.start)?.diskFreeBytes }
        }
        if let cache { gauge(buildCache, [], cache) }
        if let free { gauge(diskFree, [], free) }
        return Group(repository: repository, gauges: gauges)
    }
}
