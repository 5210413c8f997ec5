import Foundation

/// Renders stored runs for `buildtime runs` and `buildtime show`, as text tables or JSON.
public enum RunRenderer {
    /// The runs as a table, one row each, with a column per phase.
    public static func table(_ runs: [Run]) -> String {
        guard !runs.isEmpty else { return "no runs stored yet; add some with `buildtime ingest LOG...`\n" }
        var phaseNames: [String] = []
        for run in runs { for phase in run.phases where !phaseNames.contains(phase.name) { phaseNames.append(phase.name) } }
        var table = TextTable(
            headers: ["RUN", "STARTED", "PIPELINE", "COMMIT", "BRANCH", "STATUS", "CLASS", "TOTAL"] + phaseNames.map { $0.uppercased() } + ["SOURCE"],
            alignments: [.right, .left, .right, .left, .left, .left, .left, .right] + phaseNames.map { _ in .right } + [.left])
        for run in runs {
            let fields: [String] = [
                run.id.map(String.init) ?? "—", DurationFormat.timestamp(run.startedAt),
                run.metadata.pipelineNumber.map { "#\($0)" } ?? "—", run.metadata.commit.map { String($0.prefix(7)) } ?? "—",
                run.metadata.branch ?? "—", run.status.rawValue, run.classification.label, DurationFormat.string(run.totalSeconds),
            ]
            let phases = phaseNames.map { name in DurationFormat.string(run.phase(named: name)?.duration) }
            table.rows.append(fields + phases + [(run.source as NSString).lastPathComponent])
        }
        return table.render()
    }

    /// One run in detail: where it came from, and each phase with its start offset and duration.
    public static func detail(_ run: Run) -> String {
        var lines: [String] = []
        lines.append("run \(run.id.map(String.init) ?? "—")  \(run.status.rawValue)")
        func field(_ name: String, _ value: String?) {
            if let value { lines.append("  " + name.padding(toLength: 10, withPad: " ", startingAt: 0) + value) }
        }
        field("source", "\(run.source) (\(run.format.rawValue), \(run.lineCount) lines)")
        field("started", run.startedAt.map(DurationFormat.timestamp) ?? "unknown")
        field("pipeline", run.metadata.pipelineNumber.map { "#\($0)" })
        field("commit", run.metadata.commit)
        field("branch", run.metadata.branch)
        field("repo", run.metadata.repo)
        field("step", run.metadata.step)
        field("total", run.totalSeconds == nil ? "unmeasured (the log has no timestamps)" : DurationFormat.string(run.totalSeconds))
        if let resolution = run.timeResolution, resolution >= 1 { field("precision", "timestamps to \(DurationFormat.string(resolution))") }
        field("stored", DurationFormat.timestamp(run.recordedAt))
        lines.append("")
        var table = TextTable(headers: ["PHASE", "START", "DURATION", "LINES", "NOTE"], alignments: [.left, .right, .right, .left, .left])
        for phase in run.phases {
            let span = [phase.startLine, phase.endLine].map { $0.map(String.init) ?? "?" }.joined(separator: "–")
            let note: String = switch phase.missingMarker {
            case .start: "start marker not found"
            case .end: "end marker not found"
            case nil: phase.duration == nil ? "no timestamps" : ""
            }
            table.rows.append([phase.name, phase.startOffset.map { "+" + DurationFormat.string($0) } ?? "—", DurationFormat.string(phase.duration), span, note])
        }
        lines.append(run.phases.isEmpty ? "no phases configured" : table.render().trimmingCharacters(in: .newlines))
        if !run.steps.isEmpty {
            lines.append("")
            var steps = TextTable(headers: ["STEP", "START", "DURATION", "STATUS", "CLASS"], alignments: [.left, .right, .right, .left, .left])
            for step in run.steps {
                let offset = run.startedAt.map { step.startedAt.timeIntervalSince($0) }
                steps.rows.append([step.name, offset.map { "+" + DurationFormat.string($0) } ?? "—", DurationFormat.string(step.duration),
                                   step.status.rawValue + (step.exitCode.map { $0 == 0 ? "" : " (exit \($0))" } ?? ""),
                                   step.images.map(\.classification.label).joined(separator: ", ")])
            }
            lines.append(steps.render().trimmingCharacters(in: .newlines))
        }
        lines.append("")
        lines.append("class     " + ClassificationRenderer.summary(run.classification).joined(separator: "\n"))
        lines.append("")
        lines.append(ClassificationRenderer.images(run.images).trimmingCharacters(in: .newlines))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The runs as JSON: an array of run objects (see README, "JSON output").
    public static func json(_ runs: [Run]) throws -> String {
        try encode(runs.map(RunDocument.init))
    }

    /// One run as a JSON object.
    public static func json(_ run: Run) throws -> String {
        try encode(RunDocument(run))
    }

    private static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

/// The stable JSON shape of a run. Absent values are `null`, never omitted, and never 0 for "unknown".
struct RunDocument: Encodable {
    var id: Int64?
    var fingerprint: String
    var source: String
    var format: String
    var pipeline: Int?
    var commit: String?
    var branch: String?
    var repo: String?
    var step: String?
    var startedAt: String?
    var status: String
    var exitCode: Int?
    var totalSeconds: Double?
    var lineCount: Int
    var timeResolution: Double?
    var recordedAt: String
    var phases: [PhaseDocument]
    var classification: Classification
    var images: [ImageBuild]
    var context: RunContext?
    var steps: [RecordedStep]

    struct PhaseDocument: Encodable {
        var name: String
        var startOffsetSeconds: Double?
        var durationSeconds: Double?
        var startLine: Int?
        var endLine: Int?
        var missingMarker: String?

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(startOffsetSeconds.map(rounded), forKey: .startOffsetSeconds)
            try container.encode(durationSeconds.map(rounded), forKey: .durationSeconds)
            try container.encode(startLine, forKey: .startLine)
            try container.encode(endLine, forKey: .endLine)
            try container.encode(missingMarker, forKey: .missingMarker)
        }

        enum CodingKeys: String, CodingKey { case name, startOffsetSeconds, durationSeconds, startLine, endLine, missingMarker }
    }

    init(_ run: Run) {
        id = run.id
        fingerprint = run.fingerprint
        source = run.source
        format = run.format.rawValue
        pipeline = run.metadata.pipelineNumber
        commit = run.metadata.commit
        branch = run.metadata.branch
        repo = run.metadata.repo
        step = run.metadata.step
        startedAt = run.startedAt.map(DurationFormat.iso8601)
        status = run.status.rawValue
        exitCode = run.exitCode
        totalSeconds = run.totalSeconds
        lineCount = run.lineCount
        timeResolution = run.timeResolution
        recordedAt = DurationFormat.iso8601(run.recordedAt)
        classification = run.classification
        images = run.images
        context = run.context
        steps = run.steps
        phases = run.phases.map {
            PhaseDocument(name: $0.name, startOffsetSeconds: $0.startOffset, durationSeconds: $0.duration, startLine: $0.startLine, endLine: $0.endLine, missingMarker: $0.missingMarker?.rawValue)
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(fingerprint, forKey: .fingerprint)
        try container.encode(source, forKey: .source)
        try container.encode(format, forKey: .format)
        try container.encode(pipeline, forKey: .pipeline)
        try container.encode(commit, forKey: .commit)
        try container.encode(branch, forKey: .branch)
        try container.encode(repo, forKey: .repo)
        try container.encode(step, forKey: .step)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(status, forKey: .status)
        try container.encode(exitCode, forKey: .exitCode)
        try container.encode(totalSeconds.map(rounded), forKey: .totalSeconds)
        try container.encode(lineCount, forKey: .lineCount)
        try container.encode(timeResolution, forKey: .timeResolution)
        try container.encode(recordedAt, forKey: .recordedAt)
        try container.encode(phases, forKey: .phases)
        try container.encode(ClassificationDocument(classification), forKey: .classification)
        try container.encode(images.map(ImageDocument.init), forKey: .images)
        try container.encode(context, forKey: .context)
        try container.encode(steps.map(StepRunDocument.init), forKey: .steps)
    }

    enum CodingKeys: String, CodingKey {
        case id, fingerprint, source, format, pipeline, commit, branch, repo, step, startedAt, status, exitCode, totalSeconds, lineCount, timeResolution, recordedAt, phases
        case classification, images, context, steps
    }
}

/// A nested step: `{"name", "startedAt", "durationSeconds", "status", "exitCode", "lineCount", "images": [...]}`.
struct StepRunDocument: Encodable {
    var step: RecordedStep

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(step.name, forKey: .name)
        try container.encode(DurationFormat.iso8601(step.startedAt), forKey: .startedAt)
        try container.encode(rounded(step.duration), forKey: .durationSeconds)
        try container.encode(step.status.rawValue, forKey: .status)
        try container.encode(step.exitCode, forKey: .exitCode)
        try container.encode(step.lineCount, forKey: .lineCount)
        try container.encode(step.images.map(ImageDocument.init), forKey: .images)
    }

    enum CodingKeys: String, CodingKey { case name, startedAt, durationSeconds, status, exitCode, lineCount, images }
}

/// `{"class": "code-only" | null, "confidence", "source", "evidence": [...]}`
struct ClassificationDocument: Encodable {
    var classification: Classification

    init(_ classification: Classification) { self.classification = classification }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(classification.runClass?.rawValue, forKey: .class)
        try container.encode(classification.confidence?.rawValue, forKey: .confidence)
        try container.encode(classification.source?.rawValue, forKey: .source)
        try container.encode(classification.evidence, forKey: .evidence)
    }

    enum CodingKeys: String, CodingKey { case `class`, confidence, source, evidence }
}

/// One image build; every key present, unknown values `null`.
struct ImageDocument: Encodable {
    var image: ImageBuild

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(image.name, forKey: .name)
        try container.encode(image.tag, forKey: .tag)
        try container.encode(image.builder.rawValue, forKey: .builder)
        try container.encode(image.attribution.rawValue, forKey: .attribution)
        try container.encode(image.ambiguousLines, forKey: .ambiguousLines)
        try container.encode(image.startOffset.map(rounded), forKey: .startOffsetSeconds)
        try container.encode(image.duration.map(rounded), forKey: .durationSeconds)
        try container.encode(image.outcome.rawValue, forKey: .outcome)
        try container.encode(image.basePulled, forKey: .basePulled)
        try container.encode(image.dependencyStep, forKey: .dependencyStep)
        try container.encode(image.exitCode, forKey: .exitCode)
        try container.encode(image.errorLines, forKey: .errorLines)
        try container.encode(ClassificationDocument(image.classification), forKey: .classification)
        try container.encode(image.steps.map(StepDocument.init), forKey: .steps)
    }

    enum CodingKeys: String, CodingKey {
        case name, tag, builder, attribution, ambiguousLines, startOffsetSeconds, durationSeconds, outcome, basePulled, dependencyStep, exitCode, errorLines, classification, steps
    }
}

/// One build step.
struct StepDocument: Encodable {
    var step: BuildStep

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(step.vertex, forKey: .vertex)
        try container.encode(step.stage, forKey: .stage)
        try container.encode(step.index, forKey: .index)
        try container.encode(step.total, forKey: .total)
        try container.encode(step.instruction, forKey: .instruction)
        try container.encode(step.kind.rawValue, forKey: .kind)
        try container.encode(step.status.rawValue, forKey: .status)
        try container.encode(step.duration.map(rounded), forKey: .durationSeconds)
        try container.encode(step.startOffset.map(rounded), forKey: .startOffsetSeconds)
    }

    enum CodingKeys: String, CodingKey { case vertex, stage, index, total, instruction, kind, status, durationSeconds, startOffsetSeconds }
}

/// Milliseconds are all a timing is good for; this keeps binary noise out of the JSON.
private func rounded(_ value: Double) -> Double {
    (value * 1000).rounded() / 1000
}
