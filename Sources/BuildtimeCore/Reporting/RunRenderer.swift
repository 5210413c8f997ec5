import Foundation

/// Renders stored runs for `buildtime runs` and `buildtime show`, as text tables or JSON.
public enum RunRenderer {
    /// What `record` says once it has stored a run: `stored run 65 (pipeline #263): code-only, total 1m07s, build
    /// 54.9s, deploy 12.3s`; `outcome` is nil when it could not be stored.
    public static func stored(_ run: Run, outcome: SaveOutcome) -> String {
        let reference = FactText.runReference(pipeline: run.metadata.pipelineNumber, id: nil)
        let what: String
        switch outcome {
        case .inserted(let id): what = "stored run \(id)" + (run.metadata.pipelineNumber != nil ? " (\(reference))" : "")
        case .duplicate(let id): what = "already stored as run \(id)"
        }
        var parts = [run.classification.label + (run.status == .succeeded ? "" : ", \(run.status.rawValue)")]
        parts.append("total \(DurationFormat.string(run.totalSeconds))")
        parts += run.phases.map { "\($0.name) \(DurationFormat.string($0.duration))" }
        return SafeText.escaped("\(what): " + parts.joined(separator: ", "))
    }

    /// The runs as a table, one row each, with a column per phase.
    public static func table(_ runs: [Run], color: Bool = false) -> String {
        var table = Table()
        table.add(runs)
        return table.render(color: color)
    }

    /// The table of `table(_:)`, gathered a page of runs at a time: it keeps each row's cells, not the runs, so a
    /// listing of a year of runs holds a few short strings per run (the columns are as wide as their widest cell,
    /// which only the last row may tell).
    public struct Table {
        private var phaseNames: [String] = []
        /// Each row's phase cells are in the order of `phaseNames` as it was then (names only ever join at its end).
        private var rows: [(fields: [String], phases: [String?], source: String, status: RunStatus)] = []

        public init() {}

        public mutating func add(_ runs: [Run]) {
            for run in runs {
                var phases: [String?] = []
                for phase in run.phases {
                    let column = phaseNames.firstIndex(of: phase.name) ?? { phaseNames.append(phase.name); return phaseNames.count - 1 }()
                    if column >= phases.count { phases += repeatElement(nil, count: column + 1 - phases.count) }
                    // The first phase of that name, as `Run.phase(named:)` finds it.
                    if phases[column] == nil { phases[column] = DurationFormat.string(phase.duration) }
                }
                let fields: [String] = [
                    run.id.map(String.init) ?? "—", DurationFormat.timestamp(run.startedAt),
                    run.metadata.pipelineNumber.map { "#\($0)" } ?? "—", run.metadata.commit.map { String($0.prefix(7)) } ?? "—",
                    run.metadata.branch ?? "—", run.status.rawValue, run.classification.label, DurationFormat.string(run.totalSeconds),
                ]
                rows.append((fields, phases, (run.source as NSString).lastPathComponent, run.status))
            }
        }

        public func render(color: Bool = false) -> String {
            guard !rows.isEmpty else { return "no runs stored yet; add some with `buildtime ingest LOG...`\n" }
            var table = TextTable(
                headers: ["RUN", "STARTED", "PIPELINE", "COMMIT", "BRANCH", "STATUS", "CLASS", "TOTAL"] + phaseNames.map { $0.uppercased() } + ["SOURCE"],
                alignments: [.right, .left, .right, .left, .left, .left, .left, .right] + phaseNames.map { _ in .right } + [.left])
            table.rows = rows.map { row in row.fields + phaseNames.indices.map { column in
                (column < row.phases.count ? row.phases[column] : nil) ?? DurationFormat.string(nil)
            } + [row.source] }
            // Whole rows coloured after aligning them: a failed run red, one cut short yellow.
            let style = ReportRenderer.Style(enabled: color)
            let lines = table.render().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            return lines.enumerated().map { index, line in
                guard index > 0, index <= rows.count else { return index == 0 && color ? style.dim(line) : line }
                switch rows[index - 1].status {
                case .failed, .interrupted: return style.red(line)
                case .incomplete: return style.yellow(line)
                case .succeeded: return line
                }
            }.joined(separator: "\n")
        }
    }

    /// One run in detail: where it came from, and each phase with its start offset and duration.
    public static func detail(_ run: Run) -> String {
        var lines: [String] = []
        lines.append("run \(run.id.map(String.init) ?? "—")  \(run.status.rawValue)")
        func field(_ name: String, _ value: String?) {
            if let value { lines.append("  " + name.padding(toLength: 10, withPad: " ", startingAt: 0) + SafeText.escaped(value)) }
        }
        field("source", "\(run.source) (\(run.format.rawValue), \(run.lineCount) lines)")
        field("started", run.startedAt.map(DurationFormat.timestamp) ?? "unknown")
        field("pipeline", run.metadata.pipelineNumber.map { "#\($0)" })
        field("commit", run.metadata.commit)
        field("branch", run.metadata.branch)
        field("repo", run.metadata.repo)
        field("step", run.metadata.step)
        field("workflow", run.metadata.workflow)
        if let context = run.context {
            // `push by dana`: what started the pipeline, and whose change it was.
            let event = [context.event, context.author.map { "by \($0)" }].compactMap { $0 }.joined(separator: " ")
            field("event", event.isEmpty ? nil : event)
            if let times = context.times, let queue = times.queueSeconds {
                field("queued", "\(DurationFormat.string(queue)) before the pipeline started" + (times.pipelineCreated.map { " (created \(DurationFormat.timestamp($0)))" } ?? ""))
            }
        }
        field("total", run.totalSeconds == nil ? "unmeasured (the log has no timestamps)" : DurationFormat.string(run.totalSeconds))
        if let resolution = run.timeResolution, resolution >= 1 { field("precision", "timestamps to \(DurationFormat.string(resolution))") }
        field("stored", DurationFormat.timestamp(run.recordedAt))
        field("config", run.configurationError.map { "not used, phases not measured: " + $0 })
        if let context = run.context {
            field("machine", Self.machine(context))
            if let files = context.changedFiles {
                field("changed", files.isEmpty ? "no files" : files.prefix(5).joined(separator: ", ") + (files.count > 5 ? " and \(files.count - 5) more" : ""))
            }
        }
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
        return SafeText.escaped(lines.joined(separator: "\n") + "\n", keepingNewlines: true)
    }

    /// `load 1.2 on 2 cores, 84.0GB of 270.6GB free on /, build cache 9.8GB (8.1GB reclaimable)`
    static func machine(_ context: RunContext) -> String {
        var parts: [String] = []
        if let start = context.start {
            if let load = start.load1 { parts.append(String(format: "load %.1f on %d cores", load, start.cores)) }
            if let free = start.diskFreeBytes, let size = start.diskSizeBytes, let path = start.diskPath {
                parts.append("\(ByteFormat.string(free)) of \(ByteFormat.string(size)) free on \(path)")
            }
        }
        let usages = context.dockerUsages
        for usage in usages {
            guard let cache = usage.buildCache else { continue }
            parts.append("build cache \(ByteFormat.string(cache.size))" + (cache.reclaimable.map { " (\(ByteFormat.string($0)) reclaimable)" } ?? "")
                         + (context.host(of: usage).map { " on \($0)" } ?? ""))
        }
        if usages.isEmpty { parts.append("docker system df not available") }
        return parts.joined(separator: ", ")
    }

    /// The runs as JSON: an array of run objects (see README, "JSON output").
    public static func json(_ runs: [Run]) throws -> String {
        try encode(runs.map(RunDocument.init))
    }

    /// The runs as the JSON array `json(_:)` writes, a page at a time: `write` gets the opening bracket, each run's
    /// object (indented as inside the array) and the closing bracket, so nothing holds the whole listing.
    public struct JSONArrayWriter {
        private let write: ([UInt8]) -> Void
        private var count = 0
        private var bytes: [UInt8] = []

        public init(write: @escaping ([UInt8]) -> Void) { self.write = write }

        /// Writes into a string, for the ones who want one.
        public init(text: @escaping (String) -> Void) { self.init { text(String(decoding: $0, as: UTF8.self)) } }

        public mutating func add(_ runs: [Run]) throws {
            bytes.removeAll(keepingCapacity: true)
            for run in runs {
                bytes.append(count == 0 ? UInt8(ascii: "[") : UInt8(ascii: ","))
                bytes += [UInt8(ascii: "\n"), UInt8(ascii: " "), UInt8(ascii: " ")]
                // Indented as the array's elements are.
                try PrettyJSON.encode(RunDocument(run), into: &bytes, indent: 1)
                count += 1
            }
            if !bytes.isEmpty { write(bytes) }
        }

        public func finish() { write(Array((count == 0 ? "[\n\n]\n" : "\n]\n").utf8)) }
    }

    /// One run as a JSON object.
    public static func json(_ run: Run) throws -> String {
        try encode(RunDocument(run))
    }

    /// Pretty-printed, keys sorted; never fails on a value no JSON number can hold (only a database edited by hand
    /// gives one).
    private static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try PrettyJSON.encode(value), as: UTF8.self) + "\n"
    }
}
