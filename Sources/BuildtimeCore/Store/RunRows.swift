import Foundation

/// A value written to or read from a column, whatever the database.
public enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    public init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
    public init(_ value: Double?) { self = value.map { .real($0) } ?? .null }
    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
}

/// A stored row's columns by position, whatever the database. A value of another type than asked for (a file edited
/// by hand, or by another program) reads as nil, never as a crash.
public protocol StoredCells {
    func int64(_ column: Int) -> Int64?
    /// A REAL, or an INTEGER read as one.
    func double(_ column: Int) -> Double?
    func string(_ column: Int) -> String?
}

extension StoredCells {
    public func int(_ column: Int) -> Int? { int64(column).flatMap { Int(exactly: $0) } }
}

/// How a run and what belongs to it are laid out in the tables (the schema of `Migrations/`, the same in SQLite and
/// PostgreSQL): the columns each store writes and reads, in order, and the values of a run in them. Both stores
/// share it, so a run reads the same from either.
public enum RunRows {
    // MARK: run

    /// The columns a run is read from, in the order `run(from:)` reads them.
    public static let runColumns = """
        id, fingerprint, source, format, pipeline_number, commit_sha, branch, repo, step_name, started_at, status, exit_code,
        total_seconds, line_count, time_resolution, class, class_confidence, class_source, class_evidence, context, run_key, recorded_at,
        configuration_error, class_facts, workflow
        """

    /// A run from the `runColumns` of its row, without its phases, images and steps.
    static func run(from row: some StoredCells, memo: inout FactMemo) -> Run {
        var run = Run(
            id: row.int64(0), fingerprint: row.string(1) ?? "", source: row.string(2) ?? "?",
            format: row.string(3).flatMap(LogFormat.init(rawValue:)) ?? .text,
            metadata: RunMetadata(pipelineNumber: row.int(4), commit: row.string(5), branch: row.string(6), repo: row.string(7), step: row.string(8),
                                   workflow: row.string(24)),
            startedAt: row.double(9).map(Date.init(timeIntervalSince1970:)),
            status: row.string(10).flatMap(RunStatus.init(rawValue:)) ?? .incomplete, exitCode: row.int(11),
            totalSeconds: row.double(12), lineCount: row.int(13) ?? 0, timeResolution: row.double(14),
            phases: [], classification: classification(row, from: 15, facts: 23, memo: &memo),
            context: row.string(19).flatMap { try? QuickJSONDecoder.decode(RunContext.self, from: $0) },
            runKey: row.string(20), recordedAt: Date(timeIntervalSince1970: row.double(21) ?? 0)
        )
        run.configurationError = row.string(22)
        return run
    }

    /// The columns a new run is written to, in the order of `values(of:)`.
    public static let runInsertColumns = [
        "fingerprint", "source", "format", "pipeline_number", "commit_sha", "branch", "repo", "step_name",
        "started_at", "status", "exit_code", "total_seconds", "line_count", "time_resolution", "recorded_at",
        "class", "class_confidence", "class_source", "class_facts", "context", "run_key", "configuration_error", "metrics_written",
        "workflow", "team_key",
    ]

    /// A new run's values in `runInsertColumns` (its metric rows are written with it: `metrics_written` is 1).
    public static func values(of run: Run) -> [StoredValue] {
        [
            .text(run.fingerprint), .text(run.source), .text(run.format.rawValue), StoredValue(run.metadata.pipelineNumber),
            StoredValue(run.metadata.commit), StoredValue(run.metadata.branch), StoredValue(run.metadata.repo), StoredValue(run.metadata.step),
            StoredValue(run.startedAt?.timeIntervalSince1970), .text(run.status.rawValue), StoredValue(run.exitCode),
            StoredValue(run.totalSeconds), .integer(Int64(run.lineCount)), StoredValue(run.timeResolution),
            .real(run.recordedAt.timeIntervalSince1970), StoredValue(run.classification.runClass?.rawValue),
            StoredValue(run.classification.confidence?.rawValue), StoredValue(run.classification.source?.rawValue),
            .text(json(facts: run.classification.evidence)),
            StoredValue(run.context.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) }),
            StoredValue(run.runKey), StoredValue(run.configurationError), .integer(1),
            StoredValue(run.metadata.workflow), StoredValue(run.metadata.teamKey),
        ]
    }

    // MARK: phase

    public static let phaseColumns = "run_id, name, start_offset, duration, start_line, end_line, missing_marker"
    public static let phaseInsertColumns = ["run_id", "position", "name", "start_offset", "duration", "start_line", "end_line", "missing_marker"]

    /// A phase from the `phaseColumns` of its row, with its run's id.
    public static func phase(from row: some StoredCells) -> (runID: Int64, phase: PhaseTiming)? {
        guard let runID = row.int64(0) else { return nil }
        return (runID, PhaseTiming(
            name: row.string(1) ?? "?", startOffset: row.double(2), duration: row.double(3), startLine: row.int(4), endLine: row.int(5),
            missingMarker: row.string(6).flatMap(MissingMarker.init(rawValue:))))
    }

    public static func values(of phase: PhaseTiming, position: Int, runID: Int64) -> [StoredValue] {
        [.integer(runID), .integer(Int64(position)), .text(phase.name), StoredValue(phase.startOffset), StoredValue(phase.duration),
         StoredValue(phase.startLine), StoredValue(phase.endLine), StoredValue(phase.missingMarker?.rawValue)]
    }

    // MARK: image build and its steps

    public static let stepColumns = "run_id, image_position, vertex, stage, step_index, step_total, instruction, kind, status, duration, start_offset"
    public static let stepInsertColumns = [
        "run_id", "image_position", "position", "vertex", "stage", "step_index", "step_total", "instruction", "kind", "status", "duration", "start_offset",
    ]

    /// A build step from the `stepColumns` of its row, with its run's id and its image's position.
    public static func step(from row: some StoredCells) -> (runID: Int64, image: Int, step: BuildStep)? {
        guard let runID = row.int64(0), let image = row.int(1) else { return nil }
        return (runID, image, BuildStep(
            vertex: row.int(2), stage: row.string(3), index: row.int(4), total: row.int(5), instruction: row.string(6) ?? "",
            kind: row.string(7).flatMap(StepKind.init(rawValue:)) ?? .other,
            status: row.string(8).flatMap(StepStatus.init(rawValue:)) ?? .pending,
            duration: row.double(9), startOffset: row.double(10)))
    }

    public static func values(of step: BuildStep, position: Int, image: Int, runID: Int64) -> [StoredValue] {
        [.integer(runID), .integer(Int64(image)), .integer(Int64(position)), StoredValue(step.vertex), StoredValue(step.stage),
         StoredValue(step.index), StoredValue(step.total), .text(step.instruction), .text(step.kind.rawValue), .text(step.status.rawValue),
         StoredValue(step.duration), StoredValue(step.startOffset)]
    }

    public static let imageColumns = """
        run_id, position, name, tag, builder, attribution, ambiguous_lines, start_offset, duration, outcome, base_pulled,
        dependency_step, error_lines, exit_code, class, class_confidence, class_source, class_evidence, class_facts
        """
    public static let imageInsertColumns = [
        "run_id", "position", "name", "tag", "builder", "attribution", "ambiguous_lines", "start_offset", "duration",
        "outcome", "base_pulled", "dependency_step", "error_lines", "exit_code", "class", "class_confidence", "class_source", "class_facts",
    ]

    /// An image build from the `imageColumns` of its row, with its run's id and position; `steps` gives its steps.
    static func image(from row: some StoredCells, memo: inout FactMemo, steps: (_ runID: Int64, _ position: Int) -> [BuildStep]) -> (runID: Int64, image: ImageBuild)? {
        guard let runID = row.int64(0), let position = row.int(1) else { return nil }
        return (runID, ImageBuild(
            name: row.string(2), tag: row.string(3), builder: row.string(4).flatMap(BuilderKind.init(rawValue:)) ?? .buildkit,
            attribution: row.string(5).flatMap(Attribution.init(rawValue:)) ?? .exact, ambiguousLines: row.int(6) ?? 0,
            startOffset: row.double(7), duration: row.double(8), outcome: row.string(9).flatMap(BuildOutcome.init(rawValue:)) ?? .unfinished,
            basePulled: basePulled(row.int(10)), dependencyStep: row.int(11), steps: steps(runID, position),
            errorLines: strings(row.string(12)), exitCode: row.int(13), classification: classification(row, from: 14, facts: 18, memo: &memo)))
    }

    public static func values(of image: ImageBuild, position: Int, runID: Int64) -> [StoredValue] {
        let classification = image.classification
        return [
            .integer(runID), .integer(Int64(position)), StoredValue(image.name), StoredValue(image.tag), .text(image.builder.rawValue),
            .text(image.attribution.rawValue), .integer(Int64(image.ambiguousLines)), StoredValue(image.startOffset), StoredValue(image.duration),
            .text(image.outcome.rawValue), .integer(image.basePulled.map { $0 ? 1 : 0 } ?? -1), StoredValue(image.dependencyStep),
            .text(json(image.errorLines)), StoredValue(image.exitCode), StoredValue(classification.runClass?.rawValue),
            StoredValue(classification.confidence?.rawValue), StoredValue(classification.source?.rawValue), .text(json(facts: classification.evidence)),
        ]
    }

    /// `base_pulled`: 1, 0, or -1 for unknown (migration 0005).
    static func basePulled(_ value: Int?) -> Bool? { value.map { $0 < 0 ? nil : $0 != 0 } ?? nil }

    // MARK: metric

    public static let metricInsertColumns = ["run_id", "name", "value", "class", "status", "repo", "at"]

    /// The run's metric rows (migration 0008), with its class, status, repository and time, in a stable order.
    public static func metricValues(of run: Run, id: Int64) -> [[StoredValue]] {
        let at = (run.startedAt ?? run.recordedAt).timeIntervalSince1970
        return RunMetrics(run).values.sorted(by: { $0.key < $1.key }).filter { $0.value.isFinite }.map { metric, value in
            [.integer(id), .text(metric.name), .real(value), StoredValue(run.classification.runClass?.rawValue), .text(run.status.rawValue),
             StoredValue(run.metadata.repo), .real(at)]
        }
    }

    // MARK: recorded step

    public static let recordedStepColumns = "run_key, name, started_at, duration, status, exit_code, line_count, images"
    public static let recordedStepInsertColumns = ["run_key", "name", "started_at", "duration", "status", "exit_code", "line_count", "images"]

    public static func recordedStep(from row: some StoredCells, runKey: String) -> RecordedStep {
        RecordedStep(
            runKey: row.string(0) ?? runKey, name: row.string(1) ?? "?", startedAt: Date(timeIntervalSince1970: row.double(2) ?? 0),
            duration: row.double(3) ?? 0, status: row.string(4).flatMap(RunStatus.init(rawValue:)) ?? .failed,
            exitCode: row.int(5), lineCount: row.int(6) ?? 0,
            images: (try? QuickJSONDecoder.decode([ImageBuild].self, from: row.string(7) ?? "[]")) ?? [])
    }

    public static func values(of step: RecordedStep) -> [StoredValue] {
        let images = (try? String(decoding: JSONEncoder().encode(step.images), as: UTF8.self)) ?? "[]"
        return [.text(step.runKey), .text(step.name), .real(step.startedAt.timeIntervalSince1970), .real(step.duration), .text(step.status.rawValue),
                StoredValue(step.exitCode), .integer(Int64(step.lineCount)), .text(images)]
    }

    // MARK: point

    /// What `points` reads of each run, newest first, in the order of `point(from:)`.
    public static let pointColumns = "id, fingerprint, pipeline_number, commit_sha, branch, repo, started_at, recorded_at, class, status"

    /// A run as the verdicts read it, from the `pointColumns` of its row, without its metrics.
    public static func point(from row: some StoredCells) -> RunPoint? {
        guard let id = row.int64(0) else { return nil }
        return RunPoint(
            id: id, fingerprint: row.string(1) ?? "", pipeline: row.int(2), commit: row.string(3), branch: row.string(4), repo: row.string(5),
            startedAt: row.double(6).map(Date.init(timeIntervalSince1970:)), recordedAt: Date(timeIntervalSince1970: row.double(7) ?? 0),
            runClass: row.string(8).flatMap(RunClass.init(rawValue:)), status: row.string(9).flatMap(RunStatus.init(rawValue:)) ?? .incomplete,
            metrics: [:])
    }

    // MARK: JSON columns

    static func json(_ strings: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(strings), as: UTF8.self)) ?? "[]"
    }

    /// A JSON array of strings, as `json(_:)` wrote it.
    static func strings(_ json: String?) -> [String] {
        guard let json else { return [] }
        return StringArrayJSON.decode(json) ?? (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    /// A JSON array of facts.
    static func json(facts: [Fact]) -> String {
        (try? String(decoding: JSONEncoder().encode(facts), as: UTF8.self)) ?? "[]"
    }

    /// The facts `json(facts:)` wrote; one this version cannot read (a kind from a newer one) is left out, not the rest.
    static func facts(_ json: String) -> [Fact] {
        if case .array(let elements)? = QuickJSONDecoder.Tree.parse(json) {
            return elements.compactMap { element in
                guard case .object(let entries) = element else { return nil }
                return Fact(object: entries)
            }
        }
        struct Lenient: Decodable {
            var fact: Fact?
            init(from decoder: any Decoder) throws { fact = try? Fact(from: decoder) }
        }
        // Text the tree does not read (not JSON as `json(facts:)` writes it) is `JSONDecoder`'s to read or refuse.
        return ((try? JSONDecoder().decode([Lenient].self, from: Data(json.utf8))) ?? []).compactMap(\.fact)
    }

    /// The class, confidence, source and evidence in four columns from `first`, and its facts in column `facts`: the
    /// facts when the row has them (migration 0007), else the sentences an older version stored.
    static func classification(_ row: some StoredCells, from first: Int, facts column: Int, memo: inout FactMemo) -> Classification {
        Classification(
            runClass: row.string(first).flatMap(RunClass.init(rawValue:)),
            confidence: row.string(first + 1).flatMap(Confidence.init(rawValue:)),
            source: row.string(first + 2).flatMap(ClassSource.init(rawValue:)),
            evidence: row.string(column).map { memo.facts($0) } ?? strings(row.string(first + 3)).map(Fact.text))
    }
}

/// The facts of the texts read so far. A history holds the same few texts again and again (an image's facts for each
/// class it had), and reading each once was most of the time of loading many runs. Bounded.
struct FactMemo {
    private var known: [String: [Fact]] = [:]

    mutating func facts(_ json: String) -> [Fact] {
        if let facts = known[json] { return facts }
        let facts = RunRows.facts(json)
        if known.count >= 4096 { known.removeAll(keepingCapacity: true) }
        known[json] = facts
        return facts
    }
}

/// The phases, image builds and build steps of a selection of runs, gathered as each store reads their rows and then
/// given to their runs: the same in every store. Steps are read before images (an image takes its steps as it is
/// read). A row that does not read is left out, not the rows after it.
public struct RunChildren {
    private var phases: [Int64: [PhaseTiming]] = [:]
    private var steps: [Int64: [Int: [BuildStep]]] = [:]
    private var images: [Int64: [ImageBuild]] = [:]
    private var memo = FactMemo()

    public init() {}

    /// A run from the `runColumns` of its row, without its phases, images and steps (given by `attach`).
    public mutating func run(from row: some StoredCells) -> Run { RunRows.run(from: row, memo: &memo) }

    /// The statements that read the children of the runs `selected` (a condition on `run_id`), in the order to read them.
    public static func queries(_ selected: String) -> (phases: String, steps: String, images: String) {
        ("SELECT \(RunRows.phaseColumns) FROM phase WHERE \(selected) ORDER BY run_id, position",
         "SELECT \(RunRows.stepColumns) FROM build_step WHERE \(selected) ORDER BY run_id, image_position, position",
         "SELECT \(RunRows.imageColumns) FROM image_build WHERE \(selected) ORDER BY run_id, position")
    }

    public mutating func addPhase(_ row: some StoredCells) {
        guard let (runID, phase) = RunRows.phase(from: row) else { return }
        phases[runID, default: []].append(phase)
    }

    public mutating func addStep(_ row: some StoredCells) {
        guard let (runID, image, step) = RunRows.step(from: row) else { return }
        steps[runID, default: [:]][image, default: []].append(step)
    }

    public mutating func addImage(_ row: some StoredCells) {
        let steps = steps
        guard let (runID, image) = RunRows.image(from: row, memo: &memo, steps: { steps[$0]?[$1] ?? [] }) else { return }
        images[runID, default: []].append(image)
    }

    /// Gives each run its phases and image builds.
    public func attach(to runs: inout [Run]) {
        for index in runs.indices {
            guard let id = runs[index].id else { continue }
            runs[index].phases = phases[id] ?? []
            runs[index].images = images[id] ?? []
        }
    }
}
