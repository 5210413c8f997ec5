import Foundation

/// Reads logs into runs and stores them: the core of `buildtime ingest`.
public struct Ingester: Sendable {
    public var configuration: Configuration
    /// Forces a format instead of detecting it.
    public var format: LogFormat?
    /// Metadata given on the command line; it wins over what the file name or the log says.
    public var metadata: RunMetadata
    /// Start time given on the command line.
    public var startedAt: Date?
    /// Files changed since the previous run, given on the command line; they win over `CI_PIPELINE_FILES` in the log.
    public var changedFiles: [String]?
    /// The clock that stamps `recordedAt`.
    public var now: @Sendable () -> Date
    /// What the CI's API says of the run (`pull`): its values win over what the log printed.
    public var context: RunContext?
    /// When the run started if the log does not say (`pull`: the step's start from the API).
    public var fallbackStartedAt: Date?

    public init(configuration: Configuration, format: LogFormat? = nil, metadata: RunMetadata = RunMetadata(), startedAt: Date? = nil,
                changedFiles: [String]? = nil, now: @escaping @Sendable () -> Date = Date.init) {
        self.configuration = configuration
        self.format = format
        self.metadata = metadata
        self.startedAt = startedAt
        self.changedFiles = changedFiles
        self.now = now
    }

    /// Reads one log into a run, without storing it. `path` is a file, or `-` for standard input.
    public func run(fromPath path: String) throws(IngestError) -> Run {
        try run(from: Self.open(path), name: path)
    }

    /// The file at `path`, or standard input for `-`.
    private static func open(_ path: String) throws(IngestError) -> any ByteSource {
        do {
            return path == "-" ? FileByteSource(descriptor: 0) : try FileByteSource(path: path)
        } catch {
            throw IngestError(file: path, line: nil, reason: String(describing: error))
        }
    }

    /// Reads a log from `source` into a run; `name` is its path, or `-`.
    public func run(from source: any ByteSource, name: String) throws(IngestError) -> Run {
        try read(from: source, name: name).run
    }

    /// The run, and what the reading left out as beyond any real log.
    private func read(from source: any ByteSource, name: String) throws(IngestError) -> (run: Run, ignored: IgnoredValues) {
        let summary: LogSummary
        let classification: Classification
        do {
            let analyzer = try LogAnalyzer(configuration: configuration)
            let outcome = try LogReader(format: format).read(source, into: analyzer)
            summary = analyzer.summary(reading: outcome)
            classification = analyzer.classification(of: summary, changedFiles: changedFiles)
        } catch let error as LogParseError {
            throw IngestError(file: name, line: error.line, reason: error.reason)
        } catch {
            throw IngestError(file: name, line: nil, reason: String(describing: error))
        }
        if let shape = summary.reading.jsonDocument {
            throw IngestError(file: name, line: 1, reason: "JSON that is not a CI log (\(shape)); buildtime reads Woodpecker and Drone log entries",
                              notALog: true)
        }
        // Nothing to measure: no time, no phase, no image build. Most likely no CI log at all (a README, a listing).
        if summary.reading.timeBase == nil, summary.images.isEmpty, summary.exit == nil,
           !summary.phases.contains(where: { $0.startLine != nil || $0.endLine != nil }) {
            throw IngestError(file: name, line: nil, reason: "skipped: no timestamps, no phase markers and no image build, nothing to measure",
                              notALog: true)
        }
        let fromName = name == "-" ? RunMetadata() : Self.metadata(fromFileName: (name as NSString).lastPathComponent)
        var context = summary.context
        if let changedFiles {
            context = context ?? RunContext()
            (context!.changedFiles, context!.changedFilesSource) = (changedFiles, "given")
        }
        if let given = self.context { context = (context ?? RunContext()).overlaid(by: given) }
        let start = startedAt
            ?? summary.startedAt.map(Date.init(timeIntervalSince1970:))
            ?? (summary.reading.timeBase == .absolute ? summary.firstTime.map(Date.init(timeIntervalSince1970:)) : nil)
            ?? fallbackStartedAt
        return (Run(
            fingerprint: summary.reading.fingerprint, source: name, format: summary.reading.format,
            metadata: metadata.filling(from: summary.metadata).filling(from: fromName),
            startedAt: start, status: Self.status(of: summary), exitCode: summary.exit.map { Int($0.status) }, totalSeconds: summary.totalSeconds,
            lineCount: summary.reading.lineCount, timeResolution: summary.reading.timeResolution, phases: summary.phases,
            images: summary.images, classification: classification, context: context, recordedAt: now()
        ), summary.reading.ignored)
    }

    /// A failed image build fails the run; otherwise a run whose markers are not all there is incomplete.
    static func status(of summary: LogSummary) -> RunStatus {
        if let exit = summary.exit { return exit.runStatus }
        if summary.images.contains(where: { $0.outcome == .failed }) { return .failed }
        return summary.isComplete ? .succeeded : .incomplete
    }

    /// Reads one log and stores it, unless the same log is stored already; with what the reading left out.
    public func ingest(path: String, into store: any RunStore) throws(IngestError) -> (run: Run, outcome: SaveOutcome, ignored: IgnoredValues) {
        try ingest(from: Self.open(path), name: path, into: store)
    }

    /// Reads a log from `source` (`name` being where it came from: a path, a URL) and stores it, unless the same log
    /// is stored already.
    public func ingest(from source: any ByteSource, name: String, into store: any RunStore) throws(IngestError)
        -> (run: Run, outcome: SaveOutcome, ignored: IgnoredValues) {
        var (run, ignored) = try read(from: source, name: name)
        let path = name
        do {
            let outcome = try store.save(run)
            run.id = outcome.id
            return (run, outcome, ignored)
        } catch {
            throw IngestError(file: path, line: nil, reason: "not stored: " + StoreError.reason(of: error))
        }
    }

    /// Metadata from a Woodpecker log download's name, `{owner}-{repo}-{pipeline}-{step}.log`. The owner and the
    /// repository cannot be told apart when either holds a hyphen, so the repo is kept as `owner-repo`.
    public static func metadata(fromFileName name: String) -> RunMetadata {
        var stem = name
        for suffix in [".gz", ".log", ".txt", ".json", ".jsonl"] where stem.hasSuffix(suffix) {
            stem.removeLast(suffix.count)
        }
        // The pipeline number is the last all-digit field that has fields on both sides.
        let fields = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count >= 4 else { return RunMetadata() }
        for index in stride(from: fields.count - 2, through: 2, by: -1) {
            let field = fields[index]
            guard !field.isEmpty, field.allSatisfy(\.isASCIIDigitCharacter), let number = Int(field) else { continue }
            let repo = fields[..<index].joined(separator: "-")
            let step = fields[(index + 1)...].joined(separator: "-")
            guard !step.isEmpty else { return RunMetadata() }
            return RunMetadata(pipelineNumber: number, repo: repo, step: step)
        }
        return RunMetadata()
    }

    /// The log files named by `paths`: files as given, directories searched recursively for files with a log
    /// extension (`.log`, `.txt`, `.json`, `.jsonl`, `.sql`, any of them `.gz`), skipping hidden ones, in name order.
    public static func expand(paths: [String]) -> (files: [String], errors: [IngestError]) {
        var files: [String] = []
        var errors: [IngestError] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            if path == "-" {
                files.append(path)
            } else if !manager.fileExists(atPath: path, isDirectory: &isDirectory) {
                errors.append(IngestError(file: path, line: nil, reason: "no such file or directory"))
            } else if !isDirectory.boolValue {
                files.append(path)
            } else {
                guard let enumerator = manager.enumerator(at: URL(fileURLWithPath: path), includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else {
                    errors.append(IngestError(file: path, line: nil, reason: "cannot list directory"))
                    continue
                }
                var found: [String] = []
                let root = URL(fileURLWithPath: path).standardizedFileURL.path
                for case let url as URL in enumerator where isLogFile(url.lastPathComponent) {
                    guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
                    let relative = url.standardizedFileURL.path.dropFirst(root.count).drop { $0 == "/" }
                    found.append((path as NSString).appendingPathComponent(String(relative)))
                }
                files.append(contentsOf: found.sorted())
            }
        }
        return (files, errors)
    }

    private static func isLogFile(_ name: String) -> Bool {
        var name = name.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        return [".log", ".txt", ".json", ".jsonl", ".ndjson", ".sql"].contains { name.hasSuffix($0) }
    }
}

/// A log that could not be ingested: `file:line: reason`.
public struct IngestError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var reason: String
    /// The file is no CI log (JSON of another kind, or text with nothing to measure), rather than a log with a fault:
    /// not stored either way, but a directory may well hold such files.
    public var notALog: Bool

    public init(file: String, line: Int?, reason: String, notALog: Bool = false) {
        self.file = file
        self.line = line
        self.reason = reason
        self.notALog = notALog
    }

    public var description: String {
        let name = file == "-" ? "<stdin>" : file
        return line.map { "\(name):\($0): \(reason)" } ?? "\(name): \(reason)"
    }
}

private extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isWholeNumber }
}
