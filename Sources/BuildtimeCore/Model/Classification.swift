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
/// The evidence is facts; `FactText` makes them sentences.
public struct Classification: Sendable, Equatable, Codable {
    public var runClass: RunClass?
    public var confidence: Confidence?
    public var source: ClassSource?
    public var evidence: [Fact]

    public init(runClass: RunClass?, confidence: Confidence?, source: ClassSource?, evidence: [Fact]) {
        self.runClass = runClass
        self.confidence = confidence
        self.source = source
        self.evidence = evidence
    }

    /// Unknown, with the reason.
    public static func unknown(_ reasons: [Fact]) -> Classification {
        Classification(runClass: nil, confidence: nil, source: nil, evidence: reasons)
    }

    private enum CodingKeys: String, CodingKey { case runClass, confidence, source, evidence }

    /// Reads evidence as facts, and as the sentences versions before facts wrote (a recorded step's stored images).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        runClass = try container.decodeIfPresent(RunClass.self, forKey: .runClass)
        confidence = try container.decodeIfPresent(Confidence.self, forKey: .confidence)
        source = try container.decodeIfPresent(ClassSource.self, forKey: .source)
        var items = try container.nestedUnkeyedContainer(forKey: .evidence)
        evidence = []
        while !items.isAtEnd {
            if let sentence = try? items.decode(String.self) {
                evidence.append(.text(sentence))
            } else if let fact = try? items.decode(Fact.self) {
                evidence.append(fact)
            } else {
                _ = try items.decode(Skipped.self)
            }
        }
    }

    /// Any JSON value, read past.
    private struct Skipped: Decodable {}

    /// `code-only`, or `unknown`.
    public var label: String { runClass?.rawValue ?? "unknown" }
}
