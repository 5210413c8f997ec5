/// A build being read: its vertices so far and what the log said about it.
final class BuildState {
    let builder: BuilderKind
    /// The stream prefix (`[flask] `) or bake/compose target that identifies it, if any.
    let key: String?
    var name: String?
    var tag: String?
    var vertices = VertexTable()
    var order: [VertexState] = []
    var maxVertex = -1
    var firstTime: Double?
    var lastTime: Double?
    var basePulled = false
    var errorLines: [String] = []
    var exitCode: Int?
    var outcome: BuildOutcome = .unfinished
    var ambiguousLines = 0
    /// Lines it took though they broke one of its facts, with other builds open: what a definition's name settles
    /// later does not make these exact.
    var contradictedLines = 0
    /// The lines in doubt: the ambiguous ones, and never fewer than those that broke a fact.
    var doubtfulLines: Int { max(ambiguousLines, contradictedLines) }

    // What the attribution of interleaved BuildKit lines knows of this build (see BuildKitAttribution).
    /// Whether the build announced itself (`#0 building with ...`): its numbering is then known from the start.
    var announced = false
    /// The vertex of the build's last line: BuildKit prints a header again before the lines of a vertex it switches
    /// back to, so a non-header line belongs to a build whose current vertex it is. Nil after `#N ...`.
    var current: Int?
    /// The vertex a masked header (`#*** [deps 5/6] ...`) was given, for the masked lines after it.
    var maskedVertex: Int?
    /// Hashes of the vertex names declared: one name, one number.
    var names = HashSet64()
    /// The names declared, in order, as one hash, with the definition's file and the images of its metadata left
    /// out: builds started together show the same preamble under other definitions and base images (see
    /// `BuildKitAttribution.alikeButForPreamble`).
    var anonymousShape: UInt64 = 0xCBF2_9CE4_8422_2325
    /// The hash of its `[internal] load build definition from ...` header, 0 before it.
    var definitionHash: UInt64 = 0
    /// The hashes of its `[internal] load metadata for ...` headers, combined in any order.
    var metadataHash: UInt64 = 0
    /// What tells apart the preambles of builds started together: the definition and the base images.
    var preambleHash: UInt64 { definitionHash ^ (metadataHash &* 0x9E37_79B9_7F4A_7C15) }
    /// The names declared, in order, as one hash: builds of the same Dockerfile keep equal shapes.
    var shape: UInt64 { (anonymousShape ^ preambleHash) &* 0x100_0000_01B3 }
    /// `[stage k/N]` totals seen, by stage ("" without one), each weighed by how often it came: 4 for a name of the
    /// build's own, 1 for a name another build showed first (see `DockerBuildParser.declare`).
    var stageTotals: [String: [Int: Int]] = [:]
    /// The highest step index seen in each stage, and the stage of the last step declared.
    var stageHighest: [String: Int] = [:]
    var lastStage: String?

    /// A stage's total: the most common one (a vertex shared with a parallel build can carry that build's `[k/N]`).
    func total(of stage: String) -> Int? {
        stageTotals[stage]?.max { $0.value < $1.value || $0.value == $1.value && $0.key > $1.key }?.key
    }

    /// Steps of the stage being built that the log has not shown yet, as its `[k/N]` count them.
    var stepsToCome: Int {
        guard let stage = lastStage, let total = total(of: stage), let highest = stageHighest[stage] else { return 0 }
        return max(0, total - highest)
    }
    /// Images whose metadata the build loaded (`[internal] load metadata for docker.io/library/python:3.11-slim`).
    var metadata: Set<String> = []
    /// Images its `FROM` steps named (asked only when a `FROM` names an image the build loaded no metadata for).
    var fromImages: Set<String> { Set(steps.values.compactMap { $0.name.fromImage }) }
    /// The file of `[internal] load build definition from Dockerfile.flask`.
    var dockerfile: String?
    var hasExport = false
    /// The attributed line it took last (see `DockerBuildParser.attributedLines`).
    var lastLine = 0
    /// The Dockerfile steps declared, by their (stage, index) position: one step per position.
    var steps: [Int: VertexState] = [:]
    /// Hashes of the layer digests its status lines showed (bounded).
    var digests = HashSet64()
    /// Dockerfile steps declared and not yet ended.
    var openSteps = 0
    /// `load metadata for ...` vertices declared and not yet ended.
    var openMetadata = 0
    /// The unprefixed BuildKit builds that were open at the same time as this one (see `BuildRegistry.start`).
    var siblings: Set<ObjectIdentifier> = []

    init(builder: BuilderKind, key: String? = nil) {
        self.builder = builder
        self.key = key
        if let key { name = key }
    }

    var isFinished: Bool { outcome != .unfinished }

    func touch(_ time: Double?) {
        guard let time else { return }
        if firstTime == nil { firstTime = time }
        lastTime = time
    }

    /// Adds a vertex the log just named.
    @discardableResult
    func declare(_ vertex: Int, name: String, time: Double?) -> VertexState {
        declare(vertex, name: VertexName(name), time: time)
    }

    @discardableResult
    func declare(_ vertex: Int, name: VertexName, time: Double?) -> VertexState {
        let state = VertexState(vertex: vertex, name: name, time: time)
        vertices[vertex] = state
        order.append(state)
        maxVertex = max(maxVertex, vertex)
        return state
    }

    /// Keeps at most a few error lines, enough to show what failed.
    func addError(_ line: String) {
        guard errorLines.count < 24, !errorLines.contains(line) || line.isEmpty else { return }
        errorLines.append(line)
    }

    /// Names the image from `naming to docker.io/library/app:139`, `Successfully tagged app:latest` and the like.
    func name(fromReference reference: Substring) {
        (name, tag) = Self.split(reference: reference)
    }

    /// `app` and `139` of `docker.io/library/app:139`.
    static func split(reference: Substring) -> (name: String, tag: String?) {
        var reference = reference
        return reference.withUTF8 { split(reference: $0) }
    }

    /// The same, read from the reference's bytes (the parser's hot path: one per `naming to`).
    static func split(reference bytes: UnsafeBufferPointer<UInt8>) -> (name: String, tag: String?) {
        var start = 0
        for prefix in referencePrefixes where bytes.count - start >= prefix.count && bytes[start...].starts(with: prefix) {
            start += prefix.count
        }
        var end = bytes.count
        if let at = bytes[start...].firstIndex(of: UInt8(ascii: "@")) { end = at }
        // A tag's colon comes after the last slash; a registry port's does not.
        var colon: Int?
        var index = end
        while index > start {
            index -= 1
            if bytes[index] == UInt8(ascii: "/") { break }
            if bytes[index] == UInt8(ascii: ":") {
                colon = index
                break
            }
        }
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        if let colon { return (text(start..<colon), text((colon + 1)..<end)) }
        return (text(start..<end), nil)
    }

    private static let referencePrefixes = ["docker.io/library/", "docker.io/", "index.docker.io/library/"].map { Array($0.utf8) }
}

/// Vertices by number: BuildKit numbers them from 0 up, so an array serves, with a dictionary for the rest.
struct VertexTable {
    private var small: [VertexState?] = []
    private var other: [Int: VertexState] = [:]

    subscript(number: Int) -> VertexState? {
        get {
            if number >= 0 && number < small.count { return small[number] }
            return number >= 0 && number < 4096 ? nil : other[number]
        }
        set {
            if number >= 0 && number < 4096 {
                if number >= small.count { small.append(contentsOf: repeatElement(nil, count: number - small.count + 1)) }
                small[number] = newValue
            } else {
                other[number] = newValue
            }
        }
    }
}

/// A vertex (BuildKit) or step (legacy) being read.
final class VertexState {
    let vertex: Int
    private(set) var name: VertexName
    var status: StepStatus = .pending
    var duration: Double?
    var firstTime: Double?
    var lastTime: Double?
    /// When the vertex was last (re)opened by a header after a terminal line, and the duration it had then.
    var reopenedAt: Double?
    var priorDuration = 0.0
    /// Whether the printer left it running (`#N ...`): its header is printed again when it comes back.
    var awaitsReprint = false
    /// How far an export's work has come (see `BuildKitAttribution.exportStage`).
    var exportStage = 0
    /// Whether it printed a status line (`exporting layers`, `transferring context: ...`).
    var showedStatus = false
    /// Its status before a restart, which stands if the log shows no new end.
    var priorStatus: StepStatus?
    /// The seconds of its last timed output line (`#N 12.345 text`), which only grow while it runs.
    var lastOutputSeconds: Double?
    /// The seconds of its last `transferring ...: 2.54MB 1.2s` status: a transfer's elapsed time only grows.
    var lastTransferSeconds: Double?
    /// The bytes its last `transferring ...` status said were sent, which only grow.
    var lastTransferBytes: Double?
    /// When it started, as its timed output or `DONE` tells (line time minus seconds); nil until one did.
    var startEstimate: Double?
    /// The hash of its name's bytes.
    var nameHash: UInt64 = 0
    /// Output lines that show dependency work (`Installed 57 packages`, `Successfully installed ...`), a few.
    var dependencyOutput: [String] = []

    /// What the hot path asks of the name, kept apart from it (reading `name` copies its strings).
    private(set) var kind: StepKind
    private(set) var isStep: Bool
    /// `[internal] load build definition from ...`: a build loads its definition once, first.
    let isDefinition: Bool
    /// Declared by a line other than its header (the log is an excerpt): what it is, a failure may tell later.
    let isUnnamed: Bool
    /// `[internal] load metadata for ...`.
    let isMetadata: Bool
    /// `[internal] load ...` (the definition, metadata, `.dockerignore`, the build context): it reads files and
    /// registries' metadata and pulls no layers.
    let pullsNoLayers: Bool

    init(vertex: Int, name: VertexName, time: Double?) {
        self.vertex = vertex
        self.name = name
        kind = name.kind
        isStep = name.index != nil
        isDefinition = name.dockerfile != nil
        isUnnamed = name.instruction.isEmpty
        isMetadata = name.metadataImage != nil
        pullsNoLayers = name.isInternal && name.instruction.hasPrefix("load ")
        firstTime = time
        lastTime = time
    }

    /// Takes the other vertex's name and gives it this one's: two builds' preambles exchanged (see
    /// `DefinitionForks`).
    func exchangeName(with other: VertexState) {
        swap(&name, &other.name)
        swap(&nameHash, &other.nameHash)
    }

    /// Names a vertex whose header is not in the log from the failure message, which quotes the command:
    /// `process "/bin/sh -c pip install ..." did not complete` or `executor failed running [/bin/sh -c pip install ...]`.
    func nameFromFailure(_ message: String) {
        guard name.instruction.isEmpty else { return }
        for (open, close) in [("process \"/bin/sh -c ", "\" did not"), ("executor failed running [/bin/sh -c ", "]:")] {
            guard let start = message.range(of: open), let end = message.range(of: close, range: start.upperBound..<message.endIndex) else { continue }
            name = VertexName("RUN " + message[start.upperBound..<end.lowerBound])
            kind = name.kind
            isStep = name.index != nil
            return
        }
    }

    /// A `RUN` step's last output lines (up to 512 bytes each), a ring of 6 in one buffer: what the tool said last,
    /// if the step fails.
    private var lastOutput: [UInt8] = []
    private var lastOutputLengths: [Int] = []
    private var nextOutput = 0

    func keepOutput(_ text: UnsafeBufferPointer<UInt8>) {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        if lastOutput.isEmpty {
            lastOutput = [UInt8](repeating: 0, count: 6 * 512)
            lastOutputLengths = [Int](repeating: 0, count: 6)
        }
        let count = min(text.count, 512)
        lastOutput.withUnsafeMutableBufferPointer { buffer in
            (buffer.baseAddress! + nextOutput * 512).update(from: base, count: count)
        }
        lastOutputLengths[nextOutput] = count
        nextOutput = (nextOutput + 1) % 6
    }

    /// Its last output lines, oldest first.
    var lastOutputLines: [String] {
        guard !lastOutput.isEmpty else { return [] }
        return (0..<6).map { (nextOutput + $0) % 6 }.filter { lastOutputLengths[$0] > 0 }.map { slot in
            String(decoding: lastOutput[(slot * 512)..<(slot * 512 + lastOutputLengths[slot])], as: UTF8.self)
        }
    }

    /// Hashes of its latest output texts, a ring of 16 (empty for the many vertices that print nothing).
    private var recentTexts: [UInt64] = []
    private var nextText = 0

    /// Whether it printed this text lately.
    func printed(_ text: UInt64) -> Bool { recentTexts.contains(text) }

    /// Notes a text it printed.
    func remember(_ text: UInt64) {
        if recentTexts.count < 16 {
            recentTexts.append(text)
        } else {
            recentTexts[nextText] = text
            nextText = (nextText + 1) & 15
        }
    }

    /// Takes a start time that a timed line implies; the earliest is the closest (lines are written after the fact).
    func estimateStart(_ time: Double) {
        if startEstimate.map({ time < $0 }) ?? true { startEstimate = time }
    }

    /// The status to report: a restarted vertex with no new end keeps the one it had.
    var finalStatus: StepStatus { status == .pending ? priorStatus ?? .pending : status }

    var isTerminal: Bool { status == .cached || status == .done || status == .failed || status == .canceled }

    func touch(_ time: Double?) {
        guard let time else { return }
        if firstTime == nil { firstTime = time }
        lastTime = time
    }
}
