import Foundation

/// A run as the verdicts read it: who it is, its class and status, and its metrics (from a store, only the alerting
/// ones, which decide). A store keeps these in its metric table, so a report over a year of runs reads series, not
/// whole runs; the run itself is loaded only to be shown, or for a cause.
public struct RunPoint: Sendable, Equatable {
    public var id: Int64?
    public var fingerprint: String
    public var pipeline: Int?
    public var commit: String?
    public var branch: String?
    public var repo: String?
    public var startedAt: Date?
    public var recordedAt: Date
    public var runClass: RunClass?
    public var status: RunStatus
    public var metrics: [Metric: Double]

    public init(id: Int64?, fingerprint: String, pipeline: Int?, commit: String?, branch: String?, repo: String?, startedAt: Date?,
                recordedAt: Date, runClass: RunClass?, status: RunStatus, metrics: [Metric: Double]) {
        self.id = id
        self.fingerprint = fingerprint
        self.pipeline = pipeline
        self.commit = commit
        self.branch = branch
        self.repo = repo
        self.startedAt = startedAt
        self.recordedAt = recordedAt
        self.runClass = runClass
        self.status = status
        self.metrics = metrics
    }

    /// The point of a whole run, its metrics worked out from its phases and builds.
    public init(_ run: Run) {
        self.init(id: run.id, fingerprint: run.fingerprint, pipeline: run.metadata.pipelineNumber, commit: run.metadata.commit,
                  branch: run.metadata.branch, repo: run.metadata.repo, startedAt: run.startedAt, recordedAt: run.recordedAt,
                  runClass: run.classification.runClass, status: run.status, metrics: RunMetrics(run).values)
    }

    /// The point with only the metrics that raise alerts (total and phases), as a store gives it.
    public var alerting: RunPoint {
        var point = self
        point.metrics = metrics.filter { $0.key.raisesAlerts }
        return point
    }

    /// Seconds from the first to the last timestamped line, when known.
    public var total: Double? { metrics[.total] }

    /// When it ran: its start, else when it was stored.
    public var time: Date { startedAt ?? recordedAt }

    /// Oldest first, by time, then id; points already in that order (as a store gives them) are not copied.
    public static func chronological(_ points: [RunPoint]) -> [RunPoint] {
        let before = { (a: RunPoint, b: RunPoint) in (a.time, a.id ?? 0) < (b.time, b.id ?? 0) }
        // Nearly always in order already (the store reads them so): checked field by field, not point by point copied.
        let inOrder = points.indices.dropFirst().allSatisfy { i in
            !((points[i].time, points[i].id ?? 0) < (points[i - 1].time, points[i - 1].id ?? 0))
        }
        return inOrder ? points : points.sorted(by: before)
    }
}
