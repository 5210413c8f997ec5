/// One fact behind a class, a hint or a verdict: what kind of fact it is, and the names and numbers it is about.
/// The analysis states facts; renderers make the sentences (`FactText`). In JSON a fact is an object with its `kind`
/// and the keys that kind has (README, "Facts"); a key a kind does not use is left out.
@dynamicMemberLookup
public struct Fact: Sendable, Equatable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        // What an image build did (its class's evidence; `image` is the image's name when the log gives it).
        case stepsCached = "steps-cached"
        case basePulled = "base-pulled"
        case sharedLines = "shared-lines"
        case noDockerfileSteps = "no-dockerfile-steps"
        case noStepOutcome = "no-step-outcome"
        case partialLogUnfinished = "partial-log-unfinished"
        case partialLogNothingCached = "partial-log-nothing-cached"
        case nothingCachedBasePresent = "nothing-cached-base-present"
        case basePullNotInLog = "base-pull-not-in-log"
        case dependencyInstall = "dependency-install"
        case noDependencyStep = "no-dependency-step"
        case ranFirst = "ran-first"
        case buildFailed = "build-failed"
        // A run's class.
        case heaviestImage = "heaviest-image"
        case changesDisagree = "changes-disagree"
        case cacheCovered = "cache-covered"
        case noFilesChanged = "no-files-changed"
        case buildFilesChanged = "build-files-changed"
        case requirementFilesChanged = "requirement-files-changed"
        case codeChanged = "code-changed"
        case withinBudget = "within-budget"
        case nearestBudget = "nearest-budget"
        case nothingToClassify = "nothing-to-classify"
        case buildsDropped = "builds-dropped"
        /// Not looked at yet (a value made in code, never stored by the analysis).
        case notClassified = "not-classified"
        /// A sentence stored by a version before facts (the row's `class_evidence`).
        case text
        // Hints.
        case buildCache = "build-cache"
        case images
        case disk
        case load
        case stepsSlower = "steps-slower"
        case downloadSlower = "download-slower"
        case otherStepsAsUsual = "other-steps-as-usual"
        case changesExplain = "changes-explain"
        case buildDid = "build-did"
        case basePulledAgain = "base-pulled-again"
        case legacyBuild = "legacy-build"
        case buildSpan = "build-span"
        case overBudget = "over-budget"
        case failedStep = "failed-step"
        case exitCode = "exit-code"
        case toolOutput = "tool-output"
        case dependencyShare = "dependency-share"
        case coldRuns = "cold-runs"
        // A verdict's note.
        case classUnknown = "class-unknown"
        case notSucceeded = "not-succeeded"
        case noTimestamps = "no-timestamps"
        case followsShift = "follows-shift"
        case notEnoughHistory = "not-enough-history"
        case startsLevelShift = "starts-level-shift"
        case baseline
    }

    /// A metric's value against its usual value (`steps-slower`).
    public struct Part: Sendable, Equatable, Hashable, Codable {
        public var metric: String
        public var seconds: Double
        public var usual: Double

        public init(metric: String, seconds: Double, usual: Double) {
            self.metric = metric
            self.seconds = seconds
            self.usual = usual
        }
    }

    public var kind: Kind
    /// The names and numbers, behind one reference: a fact is a few bytes wherever it is kept (every verdict has a
    /// note), however many keys its kinds have among them. Read and written as the fact's own properties.
    private var box: Box

    /// What a fact can say; a kind uses a few of these.
    public struct Values: Sendable, Hashable, Codable {
        // Names.
        /// The image's name (or, for a run's facts, its label: `image 2` when the log gives no name).
        public var image: String?
        /// A Dockerfile instruction, whole.
        public var instruction: String?
        /// The Docker host a `docker system df` table was read from; nil for the machine's own.
        public var host: String?
        public var path: String?
        /// A metric's name (`dependency-install`) or a budget's (`total`, a phase).
        public var metric: String?
        public var runClass: RunClass?
        /// The class the changed files explain, when it differs from `runClass`.
        public var expected: RunClass?
        /// A run's status, or `start`/`end` for a machine snapshot.
        public var status: String?
        /// `pip` or `uv`.
        public var tool: String?
        public var files: [String]?
        /// Lines quoted from the log.
        public var lines: [String]?
        public var parts: [Part]?
        // Numbers.
        public var count: Int?
        public var total: Int?
        public var shown: Int?
        public var unseen: Int?
        public var index: Int?
        public var active: Int?
        public var cores: Int?
        public var code: Int?
        public var pipeline: Int?
        public var run: Int64?
        public var ran: Bool?
        public var seconds: Double?
        public var usual: Double?
        public var low: Double?
        public var high: Double?
        public var start: Double?
        public var end: Double?
        public var bytes: Double?
        public var free: Double?
        public var reclaimable: Double?
        public var share: Double?
        public var load: Double?
    }

    private final class Box: @unchecked Sendable {
        // Changed only through `Fact`'s subscript, on a box no other fact holds.
        var values: Values
        init(_ values: Values) { self.values = values }
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<Values, T>) -> T {
        get { box.values[keyPath: path] }
        set {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.values) }
            box.values[keyPath: path] = newValue
        }
    }

    public init(_ kind: Kind) {
        self.kind = kind
        box = Box(Values())
    }

    /// `kind` with what `set` fills in: `Fact(.stepsCached) { $0.count = 3; $0.total = 8 }`.
    public init(_ kind: Kind, _ set: (inout Fact) -> Void) {
        self.init(kind)
        set(&self)
    }

    public static func == (a: Fact, b: Fact) -> Bool { a.kind == b.kind && (a.box === b.box || a.box.values == b.box.values) }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(box.values)
    }

    /// A sentence from before facts.
    public static func text(_ sentence: String) -> Fact { Fact(.text) { $0.lines = [sentence] } }

    public init(from decoder: any Decoder) throws {
        kind = try decoder.container(keyedBy: CodingKeys.self).decode(Kind.self, forKey: .kind)
        box = Box(try Values(from: decoder))
    }

    private enum CodingKeys: String, CodingKey {
        case kind, image, instruction, host, path, metric, runClass, expected, status, tool, files, lines, parts
        case count, total, shown, unseen, index, active, cores, code, pipeline, run, ran
        case seconds, usual, low, high, start, end, bytes, free, reclaimable, share, load
    }

    /// Only the keys the fact has: a fact is one of many kinds, and a `null` for every key of every other kind would
    /// bury it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        func put<T: Encodable>(_ value: T?, _ key: CodingKeys) throws { if let value { try container.encode(value, forKey: key) } }
        let values = box.values
        try put(values.image, .image); try put(values.instruction, .instruction); try put(values.host, .host); try put(values.path, .path)
        try put(values.metric, .metric); try put(values.runClass, .runClass); try put(values.expected, .expected); try put(values.status, .status)
        try put(values.tool, .tool); try put(values.files, .files); try put(values.lines, .lines); try put(values.parts, .parts)
        try put(values.count, .count); try put(values.total, .total); try put(values.shown, .shown); try put(values.unseen, .unseen)
        try put(values.index, .index); try put(values.active, .active); try put(values.cores, .cores); try put(values.code, .code)
        try put(values.pipeline, .pipeline); try put(values.run, .run); try put(values.ran, .ran)
        try put(values.seconds, .seconds); try put(values.usual, .usual); try put(values.low, .low); try put(values.high, .high)
        try put(values.start, .start); try put(values.end, .end); try put(values.bytes, .bytes); try put(values.free, .free)
        try put(values.reclaimable, .reclaimable); try put(values.share, .share); try put(values.load, .load)
    }
}
