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

// MARK: JSON without the generic coders

/// A fact as `encode(to:)` writes it, written by itself: a history lists thousands (see `PrettyJSONWritable`).
extension Fact: PrettyJSONWritable {
    /// All its values at once.
    var allValues: Values { box.values }

    func write(to writer: PrettyJSON.Writer, depth: Int) {
        let values = box.values
        writer.object(depth) { fields in
            if let value = values.active { fields.integer("active", value) }
            if let value = values.bytes { fields.double("bytes", value) }
            if let value = values.code { fields.integer("code", value) }
            if let value = values.cores { fields.integer("cores", value) }
            if let value = values.count { fields.integer("count", value) }
            if let value = values.end { fields.double("end", value) }
            if let value = values.expected { fields.string("expected", value.rawValue) }
            if let value = values.files { fields.strings("files", value) }
            if let value = values.free { fields.double("free", value) }
            if let value = values.high { fields.double("high", value) }
            if let value = values.host { fields.string("host", value) }
            if let value = values.image { fields.string("image", value) }
            if let value = values.index { fields.integer("index", value) }
            if let value = values.instruction { fields.string("instruction", value) }
            fields.string("kind", kind.rawValue)
            if let value = values.lines { fields.strings("lines", value) }
            if let value = values.load { fields.double("load", value) }
            if let value = values.low { fields.double("low", value) }
            if let value = values.metric { fields.string("metric", value) }
            if let value = values.parts { fields.array("parts", value) { part, depth in part.write(to: writer, depth: depth) } }
            if let value = values.path { fields.string("path", value) }
            if let value = values.pipeline { fields.integer("pipeline", value) }
            if let value = values.ran { fields.bool("ran", value) }
            if let value = values.reclaimable { fields.double("reclaimable", value) }
            if let value = values.run { fields.integer("run", value) }
            if let value = values.runClass { fields.string("runClass", value.rawValue) }
            if let value = values.seconds { fields.double("seconds", value) }
            if let value = values.share { fields.double("share", value) }
            if let value = values.shown { fields.integer("shown", value) }
            if let value = values.start { fields.double("start", value) }
            if let value = values.status { fields.string("status", value) }
            if let value = values.tool { fields.string("tool", value) }
            if let value = values.total { fields.integer("total", value) }
            if let value = values.unseen { fields.integer("unseen", value) }
            if let value = values.usual { fields.double("usual", value) }
        }
    }

    /// The fact a JSON object of `encode(to:)` holds, as `init(from:)` reads it: nil for one it cannot read (a kind
    /// from a newer version, a value of another type).
    init?(object entries: [(key: String, value: QuickJSONDecoder.Tree)]) {
        var kind: Kind?
        var values = Values()
        do {
            for (index, (key, value)) in entries.enumerated() where !entries[..<index].contains(where: { $0.key == key }) {
                // (The first of a key given twice, as `JSONDecoder` reads it.)
                switch key {
                case "kind":
                    guard case .string(let name) = value, let known = Kind(rawValue: name) else { return nil }
                    kind = known
                case "active": values.active = try FactJSON.integer(value)
                case "bytes": values.bytes = try FactJSON.double(value)
                case "code": values.code = try FactJSON.integer(value)
                case "cores": values.cores = try FactJSON.integer(value)
                case "count": values.count = try FactJSON.integer(value)
                case "end": values.end = try FactJSON.double(value)
                case "expected": values.expected = try FactJSON.runClass(value)
                case "files": values.files = try FactJSON.strings(value)
                case "free": values.free = try FactJSON.double(value)
                case "high": values.high = try FactJSON.double(value)
                case "host": values.host = try FactJSON.string(value)
                case "image": values.image = try FactJSON.string(value)
                case "index": values.index = try FactJSON.integer(value)
                case "instruction": values.instruction = try FactJSON.string(value)
                case "lines": values.lines = try FactJSON.strings(value)
                case "load": values.load = try FactJSON.double(value)
                case "low": values.low = try FactJSON.double(value)
                case "metric": values.metric = try FactJSON.string(value)
                case "parts": values.parts = try FactJSON.parts(value)
                case "path": values.path = try FactJSON.string(value)
                case "pipeline": values.pipeline = try FactJSON.integer(value)
                case "ran": values.ran = try FactJSON.bool(value)
                case "reclaimable": values.reclaimable = try FactJSON.double(value)
                case "run": values.run = try FactJSON.integer(value)
                case "runClass": values.runClass = try FactJSON.runClass(value)
                case "seconds": values.seconds = try FactJSON.double(value)
                case "share": values.share = try FactJSON.double(value)
                case "shown": values.shown = try FactJSON.integer(value)
                case "start": values.start = try FactJSON.double(value)
                case "status": values.status = try FactJSON.string(value)
                case "tool": values.tool = try FactJSON.string(value)
                case "total": values.total = try FactJSON.integer(value)
                case "unseen": values.unseen = try FactJSON.integer(value)
                case "usual": values.usual = try FactJSON.double(value)
                default: continue
                }
            }
        } catch {
            return nil
        }
        guard let kind else { return nil }
        self.kind = kind
        box = Box(values)
    }
}

extension Fact.Part {
    func write(to writer: PrettyJSON.Writer, depth: Int) {
        writer.object(depth) { fields in
            fields.string("metric", metric)
            fields.double("seconds", seconds)
            fields.double("usual", usual)
        }
    }
}

/// A fact's values from the tree, as `Values`'s `Decodable` reads them: null is nil, another type is an error.
private enum FactJSON {
    typealias Tree = QuickJSONDecoder.Tree

    static func string(_ tree: Tree) throws -> String? {
        switch tree {
        case .null: return nil
        case .string(let value): return value
        default: throw QuickJSONDecoder.Failure()
        }
    }

    static func integer<I: FixedWidthInteger>(_ tree: Tree) throws -> I? {
        switch tree {
        case .null: return nil
        case .number(_, let whole?): guard let value = I(exactly: whole) else { throw QuickJSONDecoder.Failure() }; return value
        default: throw QuickJSONDecoder.Failure()
        }
    }

    static func double(_ tree: Tree) throws -> Double? {
        switch tree {
        case .null: return nil
        case .number(let value, _): return value
        default: throw QuickJSONDecoder.Failure()
        }
    }

    static func bool(_ tree: Tree) throws -> Bool? {
        switch tree {
        case .null: return nil
        case .bool(let value): return value
        default: throw QuickJSONDecoder.Failure()
        }
    }

    static func runClass(_ tree: Tree) throws -> RunClass? {
        guard let name = try string(tree) else { return nil }
        guard let value = RunClass(rawValue: name) else { throw QuickJSONDecoder.Failure() }
        return value
    }

    static func strings(_ tree: Tree) throws -> [String]? {
        switch tree {
        case .null: return nil
        case .array(let elements): return try elements.map { try string($0) ?? { throw QuickJSONDecoder.Failure() }() }
        default: throw QuickJSONDecoder.Failure()
        }
    }

    static func parts(_ tree: Tree) throws -> [Fact.Part]? {
        switch tree {
        case .null: return nil
        case .array(let elements):
            return try elements.map { element in
                guard case .object(let entries) = element else { throw QuickJSONDecoder.Failure() }
                func first(_ key: String) -> Tree? { entries.first { $0.key == key }?.value }
                guard let metric = try first("metric").flatMap(string), let seconds = try first("seconds").flatMap(double),
                      let usual = try first("usual").flatMap(double) else { throw QuickJSONDecoder.Failure() }
                return Fact.Part(metric: metric, seconds: seconds, usual: usual)
            }
        default: throw QuickJSONDecoder.Failure()
        }
    }
}
