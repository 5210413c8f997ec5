import Foundation

/// Everything learnt from one log's lines: its time span, its phases and the run metadata it mentions.
public struct LogSummary: Sendable, Equatable {
    public var reading: LogReader.Outcome
    /// Time of the first stamped line, on the log's time base.
    public var firstTime: Double?
    /// Time of the last stamped line.
    public var lastTime: Double?
    public var phases: [PhaseTiming]
    /// Run metadata printed in the log itself (`CI_COMMIT_SHA=...` and the like).
    public var metadata: RunMetadata
    /// A start time printed in the log (`CI_PIPELINE_STARTED=...`), as unix seconds.
    public var startedAt: Double?
    /// Files changed since the previous run, when the log prints `CI_PIPELINE_FILES=[...]`.
    public var changedFiles: [String]?
    /// The machine's state and the change, as far as the log prints them (`docker system df`, `df`, `uptime`, CI variables).
    public var context: RunContext?
    /// The Docker builds in the log, classified.
    public var images: [ImageBuild]
    /// How the command ended, when the log is one `buildtime record --log` wrote.
    public var exit: CommandExit?
    /// Builds past the limit kept per log, counted but not described.
    public var droppedImages: Int

    /// Seconds from the first to the last stamped line.
    public var totalSeconds: Double? {
        guard let firstTime, let lastTime else { return nil }
        return lastTime - firstTime
    }

    /// Whether every phase was seen from start to end.
    public var isComplete: Bool {
        phases.allSatisfy { $0.missingMarker == nil }
    }
}

/// Consumes a log's lines and summarises them.
public final class LogAnalyzer: LogLineConsumer {
    private let phases: PhaseTracker
    /// Read only once `buildLines` has finished: until then it may be reading on another thread.
    private let builds: DockerBuildParser?
    /// The Docker build output is read on a second core while this one reads the log (see `LineRelay`).
    private let buildLines: LineRelay?
    private let classifier: BuildClassifier
    private var firstTime: Double?
    private var lastTime: Double?
    /// `CI_*` variables printed in the log, first value of each; read as the environment of a recorded run is.
    private var variables: [String: String] = [:]
    private var exit: CommandExit?
    private let machine = ContextScanner()

    /// `readsBuilds: false` skips the Docker build output: phases and metadata only, for a quicker scan.
    public convenience init(configuration: Configuration, readsBuilds: Bool = true) throws {
        try self.init(configuration: configuration, readsBuilds: readsBuilds, buildThread: ProcessInfo.processInfo.activeProcessorCount > 1)
    }

    /// `buildThread: false` reads the Docker build output on the caller's thread (a machine with one core).
    init(configuration: Configuration, readsBuilds: Bool, buildThread: Bool) throws {
        phases = try PhaseTracker(phases: configuration.phases)
        classifier = BuildClassifier(configuration: configuration)
        let builds = readsBuilds ? DockerBuildParser() : nil
        self.builds = builds
        buildLines = builds.map { parser in LineRelay(threaded: buildThread) { parser.consume($0) } }
    }

    public func consume(_ line: LogLine) {
        if let time = line.time {
            if firstTime == nil { firstTime = time }
            lastTime = time
        }
        // buildtime's own lines in a recorded log: `[buildtime] record: COMMAND` first, `[buildtime] exit status 0 after
        // 12.345s` last. Only the footer says something; neither is the command's output, so neither is a marker
        // (the header holds the command line, which may well print one).
        if line.text.first == UInt8(ascii: "["), line.text.starts(with: Prefix.buildtimeNote) {
            exit = CommandExit.parse(footer: line.string) ?? exit
            return
        }
        phases.consume(line)
        buildLines?.consume(line)
        machine.consume(line.text)
        // `CI_...=value` lines, as `env` or `printenv` print them.
        if line.text.count > 3, line.text[0] == UInt8(ascii: "C"), line.text[1] == UInt8(ascii: "I"), line.text[2] == UInt8(ascii: "_") {
            readVariable(line.string)
        }
    }

    private func readVariable(_ text: String) {
        guard let equals = text.firstIndex(of: "=") else { return }
        let name = String(text[..<equals])
        let value = String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty, variables[name] == nil, RunMetadata.variableNames.contains(name) || Self.contextVariables.contains(name) else { return }
        variables[name] = value
    }

    /// Variables read for the summary besides the metadata.
    private static let contextVariables: Set<String> = ["CI_PIPELINE_STARTED", "CI_PIPELINE_CREATED", "CI_PIPELINE_EVENT", "CI_PREV_COMMIT_SHA", "CI_COMMIT_AUTHOR"]

    /// What the log says of the machine and the change.
    private func context() -> RunContext? {
        var context = machine.context() ?? RunContext()
        context.event = variables["CI_PIPELINE_EVENT"]
        context.previousCommit = variables["CI_PREV_COMMIT_SHA"]
        context.readCI(environment: variables)
        if let files = RunMetadata.changedFiles(environment: variables) {
            context.changedFiles = files
            context.changedFilesSource = "CI_PIPELINE_FILES"
        }
        return context == RunContext() ? nil : context
    }

    /// Starts tracing which build takes each line (see `BuildAttributionTrace`).
    func tracesBuilds() { builds?.trace = [] }

    var buildTrace: [Int]? {
        buildLines?.finish()
        return builds?.trace
    }

    /// The images of the log, and for each build of the parser the index of its image (nil for a build left out).
    func imagesWithTheirBuilds() -> ([ImageBuild], [Int?]) {
        buildLines?.finish()
        builds?.nameUnnamedBuilds()
        var images: [ImageBuild] = []
        var kept: [Int?] = []
        for build in builds?.builds ?? [] {
            guard Self.isImage(build) else { kept.append(nil); continue }
            kept.append(images.count)
            images.append(classifier.image(from: build, origin: firstTime))
        }
        return (images, kept)
    }

    /// Whether a build made an image: it has steps, a name or errors, and is not only buildx's setup
    /// (`[internal] booting buildkit`, `load local bake definitions`).
    private static func isImage(_ build: BuildState) -> Bool {
        if build.name != nil || !build.errorLines.isEmpty { return true }
        return build.order.contains { !$0.name.isSetup }
    }

    /// The summary, once all lines are consumed.
    public func summary(reading: LogReader.Outcome) -> LogSummary {
        let (images, _) = imagesWithTheirBuilds()
        return LogSummary(
            reading: reading, firstTime: firstTime, lastTime: lastTime, phases: phases.timings(origin: firstTime),
            metadata: RunMetadata(environment: variables), startedAt: variables["CI_PIPELINE_STARTED"].flatMap(Double.init),
            changedFiles: RunMetadata.changedFiles(environment: variables), context: context(), images: images, exit: exit, droppedImages: builds?.droppedBuilds ?? 0
        )
    }

    /// The class of the run the summary describes; `changedFiles` from elsewhere (flags, git) win over the log's.
    public func classification(of summary: LogSummary, changedFiles: [String]? = nil) -> Classification {
        var classification = classifier.classifyRun(
            images: summary.images, changedFiles: changedFiles ?? summary.changedFiles, phases: summary.phases, total: summary.totalSeconds)
        if summary.droppedImages > 0 {
            classification.evidence.append(Fact(.buildsDropped) { $0.count = summary.droppedImages; $0.total = BuildRegistry.maxBuilds })
        }
        return classification
    }
}
