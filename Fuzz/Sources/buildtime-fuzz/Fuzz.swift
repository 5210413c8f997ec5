import BuildtimeCore
import Foundation
import GRDB

/// The fuzz targets, one binary: `BUILDTIME_FUZZ_TARGET` picks one (Fuzz/run.sh sets it). Each feeds libFuzzer's
/// input to one reader and goes on through what would follow in `buildtime` (the analysis, the store, the renderers);
/// errors are expected answers, a trap is a crash.
enum Target: String, CaseIterable {
    case woodpeckerJSON = "woodpecker-json"
    case jsonLines = "json-lines"
    case drone
    case sqlDump = "sql-dump"
    /// Text, read with a timestamp style that the first byte picks.
    case text
    /// Whatever `ingest` detects: gzip, any format.
    case detected
    /// The Docker build parser on unstamped lines, its attribution traced.
    case docker
    case dockerSystemDF = "docker-system-df"
    case configuration
    /// Stored rows with values of any type: written raw, read back, rendered.
    case storedRows = "stored-rows"
    /// A log ingested into an in-memory store, read back, and rendered in every format.
    case storeAndRender = "store-and-render"

    func run(_ bytes: [UInt8]) {
        switch self {
        case .woodpeckerJSON: analyse(bytes, format: .woodpeckerJSON)
        case .jsonLines: analyse(bytes, format: .woodpeckerJSONLines)
        case .drone: analyse(bytes, format: .droneJSON)
        case .sqlDump: analyse(bytes, format: .woodpeckerSQL)
        case .text:
            guard let first = bytes.first else { return }
            let styles = TimestampStyle.allCases
            let style = Int(first) < styles.count ? styles[Int(first)] : nil
            guard let analyzer = try? LogAnalyzer(configuration: .default) else { return }
            let stream = LogStream(format: .text, timestampStyle: style, consumer: analyzer)
            // In uneven chunks, as a pipe delivers them.
            var rest = bytes.dropFirst()[...]
            var size = 1
            while !rest.isEmpty {
                let chunk = rest.prefix(size)
                rest = rest.dropFirst(size)
                size = size * 3 % 97 + 1
                guard (try? chunk.withUnsafeBytes { try stream.feed($0) }) != nil else { return }
            }
            if let outcome = try? stream.finish() { render(analyzer.summary(reading: outcome)) }
        case .detected: analyse(bytes, format: nil)
        case .docker:
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            _ = try? BuildAttributionTrace(lines: lines.map { (String($0), nil) })
        case .dockerSystemDF:
            _ = DockerDiskUsage.parse(String(decoding: bytes, as: UTF8.self))
        case .configuration:
            if let configuration = try? BuildtimeCore.Configuration.parse(yaml: String(decoding: bytes, as: UTF8.self), source: "fuzz.yml") {
                // A configuration that loads is then used.
                analyse(Array(Self.sampleLog.utf8), format: nil, configuration: configuration)
            }
        case .storedRows: storedRows(bytes)
        case .storeAndRender: storeAndRender(bytes)
        }
    }

    private func analyse(_ bytes: [UInt8], format: LogFormat?, configuration: BuildtimeCore.Configuration = .default) {
        guard let analyzer = try? LogAnalyzer(configuration: configuration) else { return }
        var reader = LogReader(format: format)
        reader.chunkSize = 4096
        reader.sniffSize = 1024
        guard let outcome = try? reader.read(MemoryByteSource(bytes), into: analyzer) else { return }
        render(analyzer.summary(reading: outcome))
    }

    private func render(_ summary: LogSummary) {
        _ = ClassificationRenderer.images(summary.images)
        for image in summary.images { _ = ClassificationRenderer.steps(image) }
    }

    private func storeAndRender(_ bytes: [UInt8]) {
        let ingester = Ingester(configuration: .default)
        guard let run = try? ingester.run(from: MemoryByteSource(bytes), name: "fuzz.log"), let store = Self.memoryStore else { return }
        // A short history around it, so that baselines and shifts are computed over it.
        var history = [run]
        for index in 1...6 {
            var copy = run
            copy.fingerprint += "-\(index)"
            copy.totalSeconds = run.totalSeconds.map { $0 * (1 + Double(index % 3) / 10) }
            copy.startedAt = run.startedAt.map { $0.addingTimeInterval(Double(-index) * 3600) }
            history.append(copy)
        }
        let saved = (try? store.save(history)) ?? []
        readAndRender(store)
        // One store for every execution (making one costs its migrations): emptied for the next.
        _ = try? store.delete(runIDs: saved.map(\.id))
    }

    private static let memoryStore = try? SQLiteStore.inMemory()

    /// A database file and a second connection to it that writes rows raw, kept for every execution.
    private static let rowStore: (store: SQLiteStore, raw: DatabaseQueue)? = {
        let path = NSTemporaryDirectory() + "buildtime-fuzz-\(getpid()).sqlite"
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        guard let store = try? SQLiteStore(path: path), let raw = try? DatabaseQueue(path: path) else { return nil }
        return (store, raw)
    }()

    /// The input, cut at NUL bytes, gives the values of a run, a phase, an image build and a build step: each value
    /// stored as SQLite reads it (an integer, a real, text or NULL, as its first byte says).
    private func storedRows(_ bytes: [UInt8]) {
        guard let (store, queue) = Self.rowStore else { return }
        defer { try? queue.write { try $0.execute(sql: "DELETE FROM metric; DELETE FROM build_step; DELETE FROM image_build; DELETE FROM phase; DELETE FROM run") } }
        var fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map { Self.value(Array($0)) }.makeIterator()
        func next() -> DatabaseValue { fields.next() ?? .null }
        do {
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO run (id, fingerprint, source, format, pipeline_number, commit_sha, branch, started_at, status, exit_code,
                        total_seconds, line_count, time_resolution, recorded_at, class, class_confidence, class_source, class_evidence,
                        context, run_key, configuration_error, class_facts, metrics_written)
                    VALUES (1, 'f', ?, ?, ?, ?, ?, ?, 'succeeded', ?, ?, 0, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                    """, arguments: StatementArguments((0..<17).map { _ in next() }))
                // The run's metric rows, as the verdicts read them (migration 0008).
                try db.execute(sql: "INSERT INTO metric (run_id, name, value, class, status, at) VALUES (1, ?, ?, ?, 'succeeded', ?)",
                               arguments: StatementArguments((0..<4).map { _ in next() }))
                try db.execute(sql: """
                    INSERT INTO phase (run_id, position, name, start_offset, duration, start_line, end_line, missing_marker)
                    VALUES (1, 0, ?, ?, ?, ?, ?, ?)
                    """, arguments: StatementArguments((0..<6).map { _ in next() }))
                try db.execute(sql: """
                    INSERT INTO image_build (run_id, position, name, tag, builder, attribution, ambiguous_lines, start_offset, duration,
                        outcome, base_pulled, dependency_step, error_lines, exit_code, class, class_confidence, class_source, class_evidence,
                        class_facts)
                    VALUES (1, 0, ?, ?, ?, ?, ?, ?, ?, ?, -1, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: StatementArguments((0..<16).map { _ in next() }))
                try db.execute(sql: """
                    INSERT INTO build_step (run_id, image_position, position, vertex, stage, step_index, step_total, instruction, kind,
                        status, duration, start_offset)
                    VALUES (1, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: StatementArguments((0..<9).map { _ in next() }))
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            // A constraint refused the values: nothing stored to read.
        } catch {
            // Anything else is the harness's own mistake (a statement whose arguments do not match its columns stored
            // nothing, silently, until this trap): stop, so the smoke run says so.
            fatalError("stored-rows: \(error)")
        }
        readAndRender(store)
    }

    private static func value(_ bytes: [UInt8]) -> DatabaseValue {
        guard let kind = bytes.first else { return .null }
        let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
        switch kind % 4 {
        case 0: return Int64(text).map(\.databaseValue) ?? Int64(bytes.count * 1_000_003 % 7919 - 3000).databaseValue
        case 1: return Double(text).map(\.databaseValue) ?? .null
        case 2: return text.databaseValue
        default: return .null
        }
    }

    private func readAndRender(_ store: SQLiteStore) {
        guard let runs = try? store.runs(limit: nil), !runs.isEmpty else { return }
        _ = RunRenderer.table(runs)
        _ = try? RunRenderer.json(runs)
        for run in runs {
            _ = RunRenderer.detail(run)
            for image in run.images { _ = ClassificationRenderer.steps(image) }
        }
        let report = Report(history: runs, analyzer: RegressionAnalyzer(), filters: Report.Filters(last: 20))
        _ = ReportRenderer.text(report, color: true)
        _ = ReportRenderer.markdown(report)
        _ = try? ReportRenderer.json(report)
        _ = HTMLReportRenderer.html(report, timeline: runs.first)
        for assessment in report.runs { _ = ReportRenderer.assessment(assessment) }
        // And from the metric table, as `report` reads it.
        guard let points = try? store.points(limit: nil) else { return }
        let series = Report(points: points, analyzer: RegressionAnalyzer(), filters: Report.Filters(last: 20)) { point in point.id.flatMap { try? store.run(id: $0) } }
        _ = ReportRenderer.text(series)
        _ = try? ReportRenderer.json(series)
    }

    /// A short pipeline log for a configuration to be used on.
    static let sampleLog = """
        2026-11-02T09:14:03.000Z Building Docker images in parallel...
        2026-11-02T09:14:03.100Z #0 building with "default" instance using docker driver
        2026-11-02T09:14:04.000Z #5 [2/3] RUN pip install -r requirements.txt
        2026-11-02T09:14:40.000Z #5 DONE 36.0s
        2026-11-02T09:14:41.000Z ✅ All images built and tagged
        2026-11-02T09:14:52.000Z ✅ All containers deployed successfully

        """
}

nonisolated(unsafe) private var target = Target.text

/// libFuzzer's driver, from `libclang_rt.fuzzer_no_main` (run.sh links it): the `main` of a fuzz binary built with
/// `-sanitize=fuzzer` would clash with the `main` of every other executable of the build, the build tools too.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@main enum Fuzz {
    static func main() {
        let name = ProcessInfo.processInfo.environment["BUILDTIME_FUZZ_TARGET"] ?? ""
        guard let chosen = Target(rawValue: name) else {
            FileHandle.standardError.write(Data("BUILDTIME_FUZZ_TARGET must be one of: \(Target.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        target = chosen
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(runDriver(&argc, &argv) { data, size in
            target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        })
    }
}
