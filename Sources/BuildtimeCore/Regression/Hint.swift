/// A troubleshooting hint: what looks wrong, from facts a person can check; its title and the command that fixes it
/// follow from its kind (`FactText`).
public struct Hint: Sendable, Equatable, Codable {
    /// What the hint is about, as a stable name.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case buildCacheLarge = "build-cache-large"
        case diskNearlyFull = "disk-nearly-full"
        case imagesPilingUp = "images-piling-up"
        case network
        case cpuContention = "cpu-contention"
        case cacheLost = "cache-lost"
        case legacyBuilder = "legacy-builder"
        case buildsNotParallel = "builds-not-parallel"
        case deployOverBudget = "deploy-over-budget"
        case failedBuild = "failed-build"
        /// Next optimisations of the build document.
        case cacheMount = "cache-mount"
        case externalCache = "external-cache"
    }

    public enum Severity: String, Sendable, Codable {
        /// Something is wrong, or about to be.
        case warning
        /// A suggestion.
        case info
    }

    public var kind: Kind
    public var severity: Severity
    /// What the hint rests on, as facts a person can check; `FactText` says the title, the evidence and the fix.
    public var facts: [Fact]

    public init(_ kind: Kind, _ severity: Severity = .warning, facts: [Fact]) {
        self.kind = kind
        self.severity = severity
        self.facts = facts
    }

    enum CodingKeys: String, CodingKey { case kind, severity, facts, title, evidence, fix }

    /// Reads what `encode(to:)` writes; the sentences are made again from the facts.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        severity = try container.decode(Severity.self, forKey: .severity)
        facts = try container.decode([Fact].self, forKey: .facts)
    }
}

/// The limits the hints use; the defaults suit a single CI machine building a few images.
public struct HintThresholds: Sendable, Equatable {
    /// A build cache this large (bytes) is worth pruning.
    public var buildCacheBytes = 20e9
    /// ... as is one at least this large whose reclaimable share is at least `reclaimableShare`.
    public var reclaimableBytes = 5e9
    public var reclaimableShare = 0.5
    /// The Docker root's file system is nearly full below this free share or these free bytes.
    public var diskFreeShare = 0.10
    public var diskFreeBytes = 5e9
    /// More images than this, most of them unused, means the cleanup is not running.
    public var images = 40
    /// A dependency install taking at least this share of its image build suggests a cache mount.
    public var dependencyShare = 0.5
    /// This many cold runs among those reported suggests an external build cache.
    public var coldRuns = 3

    public init() {}
}
