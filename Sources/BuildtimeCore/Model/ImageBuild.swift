/// One `docker build` (or one bake/compose target) found in a log: its steps and what they did.
public struct ImageBuild: Sendable, Equatable, Codable {
    /// Image name without registry `docker.io/library/` (from `naming to`, `Successfully tagged`, a stream prefix or a
    /// bake/compose target); nil when the log does not say.
    public var name: String?
    public var tag: String?
    public var builder: BuilderKind
    /// How sure the attribution of lines to this build is.
    public var attribution: Attribution
    /// Lines that could have belonged to more than one parallel build and were given to this one.
    public var ambiguousLines: Int
    /// Seconds from the run's first line to this build's first line; nil without timestamps.
    public var startOffset: Double?
    /// Seconds from this build's first to last line; nil without timestamps.
    public var duration: Double?
    public var outcome: BuildOutcome
    /// Whether base-image layers were downloaded (BuildKit layer progress, legacy `Pull complete`); nil when the log
    /// does not show the `FROM` step (an excerpt), so it cannot tell.
    public var basePulled: Bool?
    /// Index into `steps` of the dependency-install step (uv/pip), if the Dockerfile has one.
    public var dependencyStep: Int?
    public var steps: [BuildStep]

    /// The dependency-install step itself; nil when there is none, or when the index is not one of `steps` (a stored
    /// run edited by hand).
    public var dependency: BuildStep? {
        dependencyStep.flatMap { steps.indices.contains($0) ? steps[$0] : nil }
    }
    /// The error lines of a failed build: the failing step's last output and the `failed to solve` line.
    public var errorLines: [String]
    /// The failing command's exit code, when the log states it.
    public var exitCode: Int?
    public var classification: Classification

    public init(name: String? = nil, tag: String? = nil, builder: BuilderKind, attribution: Attribution = .exact, ambiguousLines: Int = 0,
                startOffset: Double? = nil, duration: Double? = nil, outcome: BuildOutcome = .unfinished, basePulled: Bool? = false,
                dependencyStep: Int? = nil, steps: [BuildStep] = [], errorLines: [String] = [], exitCode: Int? = nil,
                classification: Classification = .unknown([Fact(.notClassified)])) {
        self.name = name
        self.tag = tag
        self.builder = builder
        self.attribution = attribution
        self.ambiguousLines = ambiguousLines
        self.startOffset = startOffset
        self.duration = duration
        self.outcome = outcome
        self.basePulled = basePulled
        self.dependencyStep = dependencyStep
        self.steps = steps
        self.errorLines = errorLines
        self.exitCode = exitCode
        self.classification = classification
    }

    /// The Dockerfile instructions (not internal vertices, exports, or base-image FROM).
    public var dockerfileSteps: [BuildStep] { steps.filter { $0.isDockerfileStep && $0.kind != .from } }

    /// The same build with its times counted from a point `seconds` earlier (a step's build placed in its run).
    public func shifted(by seconds: Double) -> ImageBuild {
        var image = self
        image.startOffset = startOffset.map { $0 + seconds }
        image.steps = steps.map { step in
            var step = step
            step.startOffset = step.startOffset.map { $0 + seconds }
            return step
        }
        return image
    }

    /// What the failing tool itself said, from the failure summary BuildKit repeats (` > [6/7] RUN ...:` and the
    /// step's last output lines) or the legacy builder's output: its own error lines when it marks them (`× No
    /// solution found`, `╰─▶ Because ...`, `ERROR: Could not find a version`, `npm ERR!`, `E: Unable to locate`),
    /// else the last lines it printed; at most four, without their timestamps.
    public var failureReason: [String] {
        guard outcome == .failed else { return [] }
        var output: [String] = []
        var inTail = false
        for line in errorLines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("> [") { inTail = true; continue }
            if inTail, trimmed.hasPrefix("------") || trimmed.hasPrefix("Dockerfile:") || trimmed.hasPrefix("ERROR: failed to solve") { inTail = false; continue }
            guard inTail else { continue }
            // `1.244   × No solution found ...`: BuildKit's seconds, then the tool's line.
            var text = Substring(trimmed)
            if let space = text.firstIndex(of: " "), Double(text[..<space]) != nil { text = text[space...].drop { $0 == " " } }
            if !text.isEmpty { output.append(String(text)) }
        }
        let marked = output.filter { line in Self.reasonMarks.contains { line.hasPrefix($0) } }
        return Array((marked.isEmpty ? output : marked).suffix(4))
    }

    private static let reasonMarks = ["×", "│", "╰─", "ERROR:", "error:", "Error:", "npm ERR!", "npm error", "E: ", "fatal:", "FAILED"]

    /// A short label: the image name. The parser names every build it can (`naming to`, the `docker build` command
    /// line, the Dockerfile's file name); one it cannot is `an unnamed build`, never a position, which would name
    /// another build in the next run.
    public func label(position: Int) -> String { name ?? "an unnamed build" }
}

/// One vertex of a BuildKit build, or one `Step k/n` of the legacy builder.
public struct BuildStep: Sendable, Equatable, Codable {
    /// The BuildKit vertex number (`#N`), when there is one.
    public var vertex: Int?
    /// The multi-stage name (`builder` in `[builder 2/5]`).
    public var stage: String?
    /// Position in the Dockerfile (`2` of `[2/7]`).
    public var index: Int?
    public var total: Int?
    /// `RUN uv pip install ...`, or an internal name such as `[internal] load build context`, `exporting to image`.
    public var instruction: String
    public var kind: StepKind
    public var status: StepStatus
    /// The duration BuildKit states (`#N DONE 12.3s`, TTY `4.4s`, or rawjson completed − started).
    public var duration: Double?
    /// Seconds from the run's first line to the step's first line; nil without timestamps.
    public var startOffset: Double?

    public init(vertex: Int? = nil, stage: String? = nil, index: Int? = nil, total: Int? = nil, instruction: String, kind: StepKind,
                status: StepStatus = .pending, duration: Double? = nil, startOffset: Double? = nil) {
        self.vertex = vertex
        self.stage = stage
        self.index = index
        self.total = total
        self.instruction = instruction
        self.kind = kind
        self.status = status
        self.duration = duration
        self.startOffset = startOffset
    }

    /// Whether this is an instruction of the Dockerfile (has a `k/n` position), not an internal vertex.
    public var isDockerfileStep: Bool { index != nil }

    /// Whether the step did work (not served from cache), as its end line says: a step with output but no end line
    /// in the log (`running`) is unknown, never taken for one that ran.
    public var ran: Bool { status == .done || status == .failed || status == .canceled }
}

/// What kind of instruction a step is.
public enum StepKind: String, Sendable, Codable {
    case from, run, copy, add, workdir, env, arg, other
    /// BuildKit's own vertices: `[internal] load ...`, `resolve image config`, `[auth] ...`.
    case `internal`
    /// `exporting to image`, `exporting cache`, `writing image`.
    case export
}

/// How a step ended, as the log shows it.
public enum StepStatus: String, Sendable, Codable {
    /// Served from the build cache (`#N CACHED`, ` ---> Using cache`).
    case cached
    /// Ran and finished (`#N DONE 1.2s`, ` ---> Running in` then ` ---> <id>`).
    case done
    case failed
    case canceled
    /// Started (output or `Running in` seen) but no end in the log.
    case running
    /// Announced but nothing more seen (an excerpt, or a cut log).
    case pending
}

/// Which builder wrote the output.
public enum BuilderKind: String, Sendable, Codable {
    /// BuildKit `--progress=plain`.
    case buildkit
    /// BuildKit `--progress=tty` pasted from a terminal.
    case buildkitTTY = "buildkit-tty"
    /// BuildKit `--progress=rawjson`.
    case buildkitRawJSON = "buildkit-rawjson"
    /// The legacy builder (`DOCKER_BUILDKIT=0`): `Step k/n : ...`.
    case legacy
}

/// How a build's lines were told apart from those of builds running at the same time.
public enum Attribution: String, Sendable, Codable {
    /// Every line was its own: a single build, a stream prefix (`[flask] #5 ...`), or bake/compose targets.
    case exact
    /// Parallel builds with colliding `#N` numbers: some lines could have been another build's; those were given
    /// to the build that had that vertex open first. Class evidence holds across the builds; per-image step times may
    /// be swapped between images.
    case inferred
}

/// How a build ended.
public enum BuildOutcome: String, Sendable, Codable {
    case succeeded
    case failed
    /// Cancelled because a sibling build failed (compose, bake).
    case canceled
    /// The log ends before the build does (or is an excerpt).
    case unfinished
}
