/// The kind of run, as the product brief defines it, from lightest to heaviest.
public enum RunClass: String, Sendable, Codable, CaseIterable, Comparable {
    /// Full cache hit: only tagging.
    case noChange = "no-change"
    /// Only code layers rebuilt.
    case codeOnly = "code-only"
    /// Requirements changed: dependencies and code rebuilt.
    case requirements
    /// Nothing cached: first build, cache pruned, or a new builder.
    case cold

    private var weight: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: RunClass, rhs: RunClass) -> Bool { lhs.weight < rhs.weight }
}

/// How much to trust a class.
public enum Confidence: String, Sendable, Codable, Comparable {
    case low, medium, high

    private var weight: Int { [.low, .medium, .high].firstIndex(of: self)! }

    public static func < (lhs: Confidence, rhs: Confidence) -> Bool { lhs.weight < rhs.weight }
}

/// Where a class came from, strongest first.
public enum ClassSource: String, Sendable, Codable {
    /// What the build did: cached and executed steps.
    case build
    /// The files changed since the previous run.
    case changes
    /// The duration against the budget bands.
    case duration
}

/// A class with the evidence a person can check; `runClass` is nil when it is unknown, and `evidence` then says why.
public struct Classification: Sendable, Equatable, Codable {
    public var runClass: RunClass?
    public var confidence: Confidence?
    public var source: ClassSource?
    public var evidence: [String]

    public init(runClass: RunClass?, confidence: Confidence?, source: ClassSource?, evidence: [String]) {
        self.runClass = runClass
        self.confidence = confidence
        self.source = source
        self.evidence = evidence
    }

    /// Unknown, with the reason.
    public static func unknown(_ reason: String) -> Classification {
        Classification(runClass: nil, confidence: nil, source: nil, evidence: [reason])
    }

    /// `code-only`, or `unknown`.
    public var label: String { runClass?.rawValue ?? "unknown" }
}
