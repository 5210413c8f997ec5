/// A measured quantity of a run that has a baseline: the total, a phase, an image build, the steps of one kind, the
/// dependency install or the base-image pull. Written as `total`, `phase:build`, `image:cookie-refresher`, `steps:run`,
/// `dependency-install`, `base-pull`.
public struct Metric: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) { self.name = name }

    public static let total = Metric("total")
    public static let dependencyInstall = Metric("dependency-install")
    public static let basePull = Metric("base-pull")
    /// Every step that ran except the dependency install and the base-image pull: what downloads do not explain.
    public static let otherSteps = Metric("other-steps")
    /// How long the pipeline waited for an agent before it started (the CI's created → started): the agents' load,
    /// not the build's; kept as a series of its own and never an alert.
    public static let queue = Metric("queue")
    public static func phase(_ name: String) -> Metric { Metric("phase:" + name) }
    public static func image(_ name: String) -> Metric { Metric("image:" + name) }
    public static func steps(_ kind: StepKind) -> Metric { Metric("steps:" + kind.rawValue) }

    /// Whether a regression of this metric makes the run regressed: the total and the phases, the wall time people
    /// wait for. Image builds (which overlap), step kinds, the dependency install and the base pull explain a
    /// regression and feed the hints, but do not raise one of their own: comparing many noisy parts would cry wolf.
    public var raisesAlerts: Bool { self == .total || name.hasPrefix("phase:") }

    /// `build phase`, `image trading-dashboard`, `RUN steps`, `queue time`.
    public var label: String {
        if self == .queue { return "queue time" }
        if let phase = suffix("phase:") { return "\(phase) phase" }
        if let image = suffix("image:") { return "image \(image)" }
        if let kind = suffix("steps:") { return "\(kind.uppercased()) steps" }
        return name.replacingOccurrences(of: "-", with: " ")
    }

    /// The part after `prefix`, when the name starts with it.
    public func suffix(_ prefix: String) -> String? {
        name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : nil
    }

    public var description: String { name }

    /// Total first, then phases, images, step kinds and the rest, each by name.
    public static func < (lhs: Metric, rhs: Metric) -> Bool {
        (lhs.rank, lhs.name) < (rhs.rank, rhs.name)
    }

    private var rank: Int {
        if self == .total { return 0 }
        if name.hasPrefix("phase:") { return 1 }
        if name.hasPrefix("image:") { return 2 }
        if name.hasPrefix("steps:") { return 3 }
        return 4
    }

    public init(from decoder: any Decoder) throws { name = try decoder.singleValueContainer().decode(String.self) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// The metrics of one run.
public struct RunMetrics: Sendable {
    public var values: [Metric: Double]

    public init(_ run: Run) {
        var values: [Metric: Double] = [:]
        if let total = run.totalSeconds { values[.total] = total }
        if let queue = run.context?.times?.queueSeconds { values[.queue] = queue }
        for phase in run.phases { if let duration = phase.duration { values[.phase(phase.name)] = duration } }
        for image in run.images {
            // An unnamed build has no series of its own: the same label would be another build in the next run.
            if let name = image.name, let duration = image.duration { values[.image(name), default: 0] += duration }
            for (index, step) in image.steps.enumerated() where step.kind != .internal || step.ran {
                let seconds = step.ran ? step.duration ?? 0 : 0
                if step.ran, step.kind != .from { values[.steps(step.kind), default: 0] += seconds }
                if index == image.dependencyStep, step.ran {
                    values[.dependencyInstall, default: 0] += seconds
                } else if step.kind == .from, image.basePulled == true {
                    values[.basePull, default: 0] += seconds
                } else if step.ran {
                    values[.otherSteps, default: 0] += seconds
                }
            }
        }
        self.values = values
    }

    /// Seconds per build step, keyed `image > instruction`, that attribution compares; a cached step counts 0 s.
    public static func steps(of run: Run) -> [String: Double] {
        var steps: [String: Double] = [:]
        for image in run.images {
            guard let name = image.name else { continue }
            for step in image.steps where step.kind != .internal || step.ran {
                steps["\(name) > \(step.instruction)", default: 0] += step.ran ? step.duration ?? 0 : 0
            }
        }
        return steps
    }
}
