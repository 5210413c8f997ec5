import Foundation

/// The stable JSON shape of a run (documented in the README). Every key is present; unknown values are `null`, never
/// left out and never 0. Times are ISO-8601 strings, durations seconds rounded to the millisecond.
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
    var workflow: String?
    var startedAt: String?
    var status: String
    var exitCode: Int?
    var totalSeconds: Double?
    var lineCount: Int
    var timeResolution: Double?
    var recordedAt: String
    var phases: [PhaseDocument]
    var classification: ClassificationDocument
    var images: [ImageDocument]
    var steps: [StepRunDocument]
    var context: RunContext?
    var configurationError: String?

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
        workflow = run.metadata.workflow
        startedAt = run.startedAt.map(DurationFormat.iso8601)
        status = run.status.rawValue
        exitCode = run.exitCode
        totalSeconds = run.totalSeconds.flatMap(rounded)
        lineCount = run.lineCount
        timeResolution = run.timeResolution.flatMap(rounded)
        recordedAt = DurationFormat.iso8601(run.recordedAt)
        phases = run.phases.map(PhaseDocument.init)
        classification = ClassificationDocument(run.classification)
        images = run.images.map(ImageDocument.init)
        steps = run.steps.map(StepRunDocument.init)
        context = run.context
        configurationError = run.configurationError
    }
}

/// One phase.
struct PhaseDocument: Encodable {
    var name: String
    var startOffsetSeconds: Double?
    var durationSeconds: Double?
    var startLine: Int?
    var endLine: Int?
    var missingMarker: String?

    init(_ phase: PhaseTiming) {
        name = phase.name
        startOffsetSeconds = phase.startOffset.flatMap(rounded)
        durationSeconds = phase.duration.flatMap(rounded)
        startLine = phase.startLine
        endLine = phase.endLine
        missingMarker = phase.missingMarker?.rawValue
    }
}

/// `{"class": "code-only" | null, "confidence", "source", "evidence": [...]}`
struct ClassificationDocument: Encodable {
    var `class`: String?
    var confidence: String?
    var source: String?
    /// The evidence as sentences, and as the facts they say.
    var evidence: [String]
    var facts: [Fact]

    init(_ classification: Classification) {
        `class` = classification.runClass?.rawValue
        confidence = classification.confidence?.rawValue
        source = classification.source?.rawValue
        evidence = FactText.lines(classification.evidence)
        facts = classification.evidence
    }
}

/// One image build.
struct ImageDocument: Encodable {
    var name: String?
    var tag: String?
    var builder: String
    var attribution: String
    var ambiguousLines: Int
    var startOffsetSeconds: Double?
    var durationSeconds: Double?
    var outcome: String
    var basePulled: Bool?
    var dependencyStep: Int?
    var exitCode: Int?
    var errorLines: [String]
    var classification: ClassificationDocument
    var steps: [StepDocument]

    init(_ image: ImageBuild) {
        name = image.name
        tag = image.tag
        builder = image.builder.rawValue
        attribution = image.attribution.rawValue
        ambiguousLines = image.ambiguousLines
        startOffsetSeconds = image.startOffset.flatMap(rounded)
        durationSeconds = image.duration.flatMap(rounded)
        outcome = image.outcome.rawValue
        basePulled = image.basePulled
        dependencyStep = image.dependencyStep
        exitCode = image.exitCode
        errorLines = image.errorLines
        classification = ClassificationDocument(image.classification)
        steps = image.steps.map(StepDocument.init)
    }
}

/// One build step.
struct StepDocument: Encodable {
    var vertex: Int?
    var stage: String?
    var index: Int?
    var total: Int?
    var instruction: String
    var kind: String
    var status: String
    var durationSeconds: Double?
    var startOffsetSeconds: Double?

    init(_ step: BuildStep) {
        vertex = step.vertex
        stage = step.stage
        index = step.index
        total = step.total
        instruction = step.instruction
        kind = step.kind.rawValue
        status = step.status.rawValue
        durationSeconds = step.duration.flatMap(rounded)
        startOffsetSeconds = step.startOffset.flatMap(rounded)
    }
}

/// A nested step of a recorded run.
struct StepRunDocument: Encodable {
    var name: String
    var startedAt: String
    var durationSeconds: Double
    var status: String
    var exitCode: Int?
    var lineCount: Int
    var images: [ImageDocument]

    init(_ step: RecordedStep) {
        name = step.name
        startedAt = DurationFormat.iso8601(step.startedAt)
        durationSeconds = rounded(step.duration) ?? 0
        status = step.status.rawValue
        exitCode = step.exitCode
        lineCount = step.lineCount
        images = step.images.map(ImageDocument.init)
    }
}

/// Milliseconds are all a timing is good for; this keeps binary noise out of the JSON.
/// To the millisecond; nil (unknown) for what is no finite number, which only a database edited by hand holds.
private func rounded(_ value: Double) -> Double? {
    guard value.isFinite else { return nil }
    let scaled = (value * 1000).rounded() / 1000
    return scaled.isFinite ? scaled : value
}

// Each document writes its fields in the order of their keys' bytes, as `JSONEncoder` sorts them
// (PrettyJSONTests holds these to the `Encodable` shapes above).

extension RunDocument: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) throws {
        try writer.object(depth) { fields in
            fields.string("branch", branch)
            try fields.writable("classification", classification)
            fields.string("commit", commit)
            fields.string("configurationError", configurationError)
            try fields.writable("context", context)
            fields.integer("exitCode", exitCode)
            fields.string("fingerprint", fingerprint)
            fields.string("format", format)
            fields.integer("id", id)
            try fields.array("images", images) { try $0.write(to: writer, depth: $1) }
            fields.integer("lineCount", lineCount)
            try fields.array("phases", phases) { try $0.write(to: writer, depth: $1) }
            fields.integer("pipeline", pipeline)
            fields.string("recordedAt", recordedAt)
            fields.string("repo", repo)
            fields.string("source", source)
            fields.string("startedAt", startedAt)
            fields.string("status", status)
            fields.string("step", step)
            try fields.array("steps", steps) { try $0.write(to: writer, depth: $1) }
            fields.double("timeResolution", timeResolution)
            fields.double("totalSeconds", totalSeconds)
            fields.string("workflow", workflow)
        }
    }
}

extension PhaseDocument: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) throws {
        writer.object(depth) { fields in
            fields.double("durationSeconds", durationSeconds)
            fields.integer("endLine", endLine)
            fields.string("missingMarker", missingMarker)
            fields.string("name", name)
            fields.integer("startLine", startLine)
            fields.double("startOffsetSeconds", startOffsetSeconds)
        }
    }
}

extension ClassificationDocument: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) {
        writer.object(depth) { fields in
            fields.string("class", `class`)
            fields.string("confidence", confidence)
            fields.strings("evidence", evidence)
            fields.array("facts", facts) { $0.write(to: writer, depth: $1) }
            fields.string("source", source)
        }
    }
}

extension ImageDocument: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) throws {
        try writer.object(depth) { fields in
            fields.integer("ambiguousLines", ambiguousLines)
            fields.string("attribution", attribution)
            fields.bool("basePulled", basePulled)
            fields.string("builder", builder)
            try fields.writable("classification", classification)
            fields.integer("dependencyStep", dependencyStep)
            fields.double("durationSeconds", durationSeconds)
            fields.strings("errorLines", errorLines)
            fields.integer("exitCode", exitCode)
            fields.string("name", name)
            fields.string("outcome", outcome)
            fields.double("startOffsetSeconds", startOffsetSeconds)
            try fields.array("steps", steps) { try $0.write(to: writer, depth: $1) }
            fields.string("tag", tag)
        }
    }
}

extension StepDocument: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) throws {
        writer.object(depth) { fields in
            fields.double("durationSeconds", durationSeconds)
            fields.integer("index", index)
            fields.string("instruction", instruction)
            fields.string("kind", kind)
            fields.string("stage", stage)
            fields.double("startOffsetSeconds", startOffsetSeconds)
            fields.string("status", status)
            fields.integer("total", total)
            fields.integer("vertex", vertex)
        }
    }
}

extension StepRunDocument: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) throws {
        try writer.object(depth) { fields in
            fields.double("durationSeconds", durationSeconds)
            fields.integer("exitCode", exitCode)
            try fields.array("images", images) { try $0.write(to: writer, depth: $1) }
            fields.integer("lineCount", lineCount)
            fields.string("name", name)
            fields.string("startedAt", startedAt)
            fields.string("status", status)
        }
    }
}
