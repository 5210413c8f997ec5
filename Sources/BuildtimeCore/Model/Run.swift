import Foundation

/// One CI run: where it came from, what it was, and how long each phase took.
public struct Run: Sendable, Equatable, Codable {
    /// Database id; nil until stored.
    public var id: Int64?
    /// Hash of the log's bytes; the same log is stored once.
    public var fingerprint: String
    /// File path, `-` for standard input, or `record`.
    public var source: String
    /// The log format it was read as.
    public var format: LogFormat
    public var metadata: RunMetadata
    /// When the run started, when known.
    public var startedAt: Date?
    public var status: RunStatus
    public var exitCode: Int?
    /// Seconds from the first to the last timestamped line; nil without timestamps.
    public var totalSeconds: Double?
    public var lineCount: Int
    /// Granularity of the log's timestamps in seconds (1 for Woodpecker JSON); nil without timestamps.
    public var timeResolution: Double?
    public var phases: [PhaseTiming]
    /// The Docker builds found in the log.
    public var images: [ImageBuild]
    /// What kind of run it was, with the evidence.
    public var classification: Classification
    /// The machine and the change around the run, when it was recorded.
    public var context: RunContext?
    /// The key a recorded run shares with its nested steps (`BUILDTIME_RUN_ID`).
    public var runKey: String?
    /// Steps timed by nested `buildtime record --step` calls.
    public var steps: [RecordedStep] = []
    /// Why the configuration could not be used when the run was recorded (`.buildtime.yml:3: ...`): its phases are
    /// then not measured. nil when it could.
    public var configurationError: String?
    /// When buildtime stored the run.
    public var recordedAt: Date

    public init(
        id: Int64? = nil, fingerprint: String, source: String, format: LogFormat, metadata: RunMetadata,
        startedAt: Date?, status: RunStatus, exitCode: Int? = nil, totalSeconds: Double?, lineCount: Int,
        timeResolution: Double?, phases: [PhaseTiming], images: [ImageBuild] = [],
        classification: Classification = .unknown([Fact(.notClassified)]), context: RunContext? = nil, runKey: String? = nil, recordedAt: Date
    ) {
        self.id = id
        self.fingerprint = fingerprint
        self.source = source
        self.format = format
        self.metadata = metadata
        self.startedAt = startedAt
        self.status = status
        self.exitCode = exitCode
        self.totalSeconds = totalSeconds
        self.lineCount = lineCount
        self.timeResolution = timeResolution
        self.phases = phases
        self.images = images
        self.classification = classification
        self.context = context
        self.runKey = runKey
        self.recordedAt = recordedAt
    }

    /// The phase called `name`, if the run has one.
    public func phase(named name: String) -> PhaseTiming? {
        phases.first { $0.name == name }
    }
}

/// How a run ended, as far as buildtime can tell.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    /// The command exited 0, or every phase's end marker was seen.
    case succeeded
    /// The command exited non-zero.
    case failed
    /// The command was stopped by a signal.
    case interrupted
    /// An ingested log whose phase markers are not all there: the run stopped early, or the log was cut.
    case incomplete
}

/// Who, what and which commit a run belongs to.
public struct RunMetadata: Sendable, Equatable, Codable {
    public var pipelineNumber: Int?
    public var commit: String?
    public var branch: String?
    public var repo: String?
    public var step: String?
    /// The workflow of the pipeline the step ran in (Woodpecker runs a pipeline's workflows side by side, each with
    /// steps of its own names).
    public var workflow: String?

    public init(pipelineNumber: Int? = nil, commit: String? = nil, branch: String? = nil, repo: String? = nil, step: String? = nil,
                workflow: String? = nil) {
        self.pipelineNumber = pipelineNumber
        self.commit = commit
        self.branch = branch
        self.repo = repo
        self.step = step
        self.workflow = workflow
    }

    /// Who the run is in a team's store, when the CI said: its repository, pipeline, workflow and step. Two agents
    /// storing the same step of the same pipeline (one recording it, one pulling its log) store it once.
    public var teamKey: String? {
        guard let repo, let pipelineNumber, let step else { return nil }
        return [repo, String(pipelineNumber), workflow ?? "", step].joined(separator: "\u{1F}")
    }

    /// The variables `init(environment:)` and `changedFiles(environment:)` read.
    static let variableNames: Set<String> = ["CI_PIPELINE_NUMBER", "CI_COMMIT_SHA", "CI_COMMIT_BRANCH", "CI_REPO", "CI_STEP_NAME", "CI_WORKFLOW_NAME", "CI_PIPELINE_FILES"]

    /// The metadata Woodpecker gives a step in its environment (`CI_PIPELINE_NUMBER`, `CI_COMMIT_SHA`, ...).
    public init(environment: [String: String]) {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        self.init(pipelineNumber: value("CI_PIPELINE_NUMBER").flatMap(Int.init), commit: value("CI_COMMIT_SHA"),
                  branch: value("CI_COMMIT_BRANCH"), repo: value("CI_REPO"), step: value("CI_STEP_NAME"), workflow: value("CI_WORKFLOW_NAME"))
    }

    /// The files Woodpecker says changed (`CI_PIPELINE_FILES`, a JSON array; unset above 500 files).
    public static func changedFiles(environment: [String: String]) -> [String]? {
        environment["CI_PIPELINE_FILES"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }

    /// These values, with the gaps filled from `fallback`.
    public func filling(from fallback: RunMetadata) -> RunMetadata {
        RunMetadata(
            pipelineNumber: pipelineNumber ?? fallback.pipelineNumber,
            commit: commit ?? fallback.commit,
            branch: branch ?? fallback.branch,
            repo: repo ?? fallback.repo,
            step: step ?? fallback.step,
            workflow: workflow ?? fallback.workflow
        )
    }
}

/// The measured interval of one phase of a run.
public struct PhaseTiming: Sendable, Equatable, Codable {
    public var name: String
    /// Seconds from the run's first line to the start marker; nil when unmeasured.
    public var startOffset: Double?
    /// Seconds from the start marker to the end marker; nil when unmeasured (never 0 for "unknown").
    public var duration: Double?
    /// Line number of the start marker, when seen.
    public var startLine: Int?
    /// Line number of the end marker, when seen.
    public var endLine: Int?
    /// Which marker never appeared, if any.
    public var missingMarker: MissingMarker?

    public init(name: String, startOffset: Double? = nil, duration: Double? = nil, startLine: Int? = nil, endLine: Int? = nil, missingMarker: MissingMarker? = nil) {
        self.name = name
        self.startOffset = startOffset
        self.duration = duration
        self.startLine = startLine
        self.endLine = endLine
        self.missingMarker = missingMarker
    }
}

/// The marker of a phase that was not found in the log.
public enum MissingMarker: String, Sendable, Codable {
    case start
    case end
}
