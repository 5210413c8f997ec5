import BuildtimeCore
import Foundation

/// Stores `count` runs (the sample history's runs over and over, each with its own time, pipeline and ±10% noise),
/// then times the report over them. The database is kept (and reused when it holds `count` runs) with `keep`.
func reportBenchmark(runs count: Int, directory: String, samples: URL, keep: Bool) throws {
    let path = (directory as NSString).appendingPathComponent("buildtime-bench-report-\(count).sqlite")
    let reuse = keep && FileManager.default.fileExists(atPath: path)
    if !reuse { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
    defer { if !keep { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } } }

    let files = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".log.gz") }.sorted()
    let templates = try files.map { try Ingester(configuration: .default).run(fromPath: samples.appending(path: $0).path) }
    let store = try SQLiteStore(path: path)
    var generator = SystemRandomNumberGenerator()
    let fill = reuse ? 0 : seconds {
        var batch: [Run] = []
        for index in 0..<count {
            batch.append(benchmarkRun(index, of: templates, using: &generator))
            if batch.count == 5000 || index == count - 1 {
                _ = try! store.save(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
    }
    print(reuse ? "reusing \(path)" : String(format: "stored %d runs (%d sample logs repeated) in %.1f s: %@", count, templates.count, fill, path))

    // A database an older buildtime wrote gets its metric rows once (timed on its own).
    var backfilled = 0
    let backfill = try seconds { backfilled = try store.backfillMetrics() }
    if backfilled > 0 { print(String(format: "backfilled the metrics of %d runs in %.1f s (once per database)", backfilled, backfill)) }

    let analyzer = RegressionAnalyzer()
    for history in Set([1000, count]).sorted() {
        var points: [RunPoint] = []
        var report: Report?
        let load = try best(of: 3) { points = try store.points(limit: history) }
        let analyse = best(of: 3) {
            report = Report(points: points, analyzer: analyzer, filters: .init(last: 20)) { point in point.id.flatMap { try? store.run(id: $0) } }
        }
        let render = best(of: 3) { _ = ReportRenderer.text(report!) }
        let total = load + analyse + render
        print(String(format: "report of the last 20, baselines from %6d runs: load %.3f s + analyse %.3f s + render %.3f s = %.3f s  (%.2f of the 1 s target)",
                     history, load, analyse, render, total, total))
    }

    // The binary as a user runs it: process start, opening the database, the report; its peak memory.
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "buildtime")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        print("(build the buildtime binary in the same configuration to time it: swift build -c release)")
        return
    }
    for arguments in [["report", "--db", path], ["report", "--db", path, "--history", String(count)]] {
        var peak = 0
        let wall = try best(of: 3) {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            process.waitUntilExit()
            peak = max(peak, childPeakKilobytes())
        }
        print(String(format: "buildtime %@ (%d runs stored): %.3f s wall (%.2f of the 1 s target), peak RSS %.0f MB",
                     arguments.filter { $0 != path && $0 != "--db" }.joined(separator: " "), count, wall, wall, Double(peak) / 1024))
    }
}

/// Run `index` of a long history made of `templates` over and over: its own fingerprint, pipeline and time (10 minutes
/// apart), its total and phases ±10%.
func benchmarkRun(_ index: Int, of templates: [Run], using generator: inout some RandomNumberGenerator) -> Run {
    var run = templates[index % templates.count]
    let noise = Double.random(in: 0.9...1.1, using: &generator)
    run.fingerprint = "bench-\(index)"
    run.metadata.pipelineNumber = index + 1
    run.startedAt = Date(timeIntervalSince1970: 1_700_000_000 + Double(index) * 600)
    run.totalSeconds = run.totalSeconds.map { $0 * noise }
    run.phases = run.phases.map { phase in var phase = phase; phase.duration = phase.duration.map { $0 * noise }; return phase }
    return run
}

/// The largest resident set of any child that has ended, in kilobytes.
private func childPeakKilobytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return usage.ru_maxrss
}
