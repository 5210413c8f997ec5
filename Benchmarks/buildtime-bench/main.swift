// Benchmarks; not tests: timings depend on the machine, the ratios are what to compare.
//
//   swift run -c release buildtime-bench [--megabytes 500] [--dir /tmp]
//     Parser throughput and memory against `grep -cE` with the same marker patterns on the same file: prints ratios
//     (parser throughput / grep throughput; target ≥ 0.5) and peak memory after a small and a large file (target: flat).
//
//   swift run -c release buildtime-bench attribution [--logs 1000] [--seed 1]
//     Logs of interleaved parallel builds from samples/tools/make-interleavings.py, each with the truth about every
//     line: prints how many lines, steps, image names and classes were read right (targets in the issue of record).
//
//   swift run -c release buildtime-bench stats [--series 1000] [--seed 1]
//     The regression analysis on simulated histories with a known truth (noise at CV 3-15%, bimodal, drift,
//     outliers, shifts, short histories), beside Apache Otava on the same series when it is installed: false alarms
//     per 100 runs, outliers flagged (once), shifts found and where, how soon, repeats (targets in the verdict issue).
//
//   swift run -c release buildtime-bench long-lines
//     The analysis of one adversarial long line at 70 kB to 4.5 MB: ms per MB and its ratio to the shortest (linear ≈ 1).
//
//   swift run -c release buildtime-bench postgres --url postgresql://USER@HOST:PORT/DB [--writers 16] [--runs-each 50]
//       [--runs-in-report 100000] [--pg-ctl PATH --pg-data DIR]
//     The shared store: agents writing at once (nothing lost, each run once, no error), the server stopped and started
//     while agents record (runs spooled, then pushed), and `report` over that many runs in PostgreSQL (target < 1 s).
//
//   swift run -c release buildtime-bench show FILE
//     Each line of a log with the build the parser gave it to.
//
//   swift run -c release buildtime-bench report [--runs 100000] [--dir /tmp] [--keep]
//     The regression report over a database of that many stored runs (copies of the sample history with noise):
//     loading, analysis and rendering, in this process and as the `buildtime report` binary; target well under 1 s.
import BuildtimeCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var megabytes = 500
    var runs = 100_000
    var report = false
    var show: String?
    var postgres: String?
    var writers = 16
    var runsEach = 50
    var reportRuns = 100_000
    var pgCtl: String?
    var pgData: String?
    var attribution = false
    var longLines = false
    var stats = false
    var series = 1000
    var logs = 1000
    var seed = 1
    var keep = false
    var directory = FileManager.default.temporaryDirectory.path

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "report": report = true
            case "show": show = iterator.next()
            case "postgres": postgres = postgres ?? ""
            case "--url": postgres = iterator.next()
            case "--writers": writers = iterator.next().flatMap(Int.init) ?? writers
            case "--runs-each": runsEach = iterator.next().flatMap(Int.init) ?? runsEach
            case "--runs-in-report": reportRuns = iterator.next().flatMap(Int.init) ?? reportRuns
            case "--pg-ctl": pgCtl = iterator.next()
            case "--pg-data": pgData = iterator.next()
            case "attribution": attribution = true
            case "long-lines": longLines = true
            case "stats": stats = true
            case "--series": series = iterator.next().flatMap(Int.init) ?? series
            case "--logs": logs = iterator.next().flatMap(Int.init) ?? logs
            case "--seed": seed = iterator.next().flatMap(Int.init) ?? seed
            case "--keep": keep = true
            case "--runs": runs = iterator.next().flatMap(Int.init) ?? runs
            case "--megabytes": megabytes = iterator.next().flatMap(Int.init) ?? megabytes
            case "--dir": directory = iterator.next() ?? directory
            default:
                print("""
                usage: buildtime-bench [--megabytes N] [--dir DIR]
                       buildtime-bench report [--runs N] [--dir DIR] [--keep]
                       buildtime-bench attribution [--logs N] [--seed S] [--dir DIR]
                       buildtime-bench stats [--series N] [--seed S]
                       buildtime-bench long-lines
                       buildtime-bench postgres --url URL [--writers N] [--runs-each N] [--runs-in-report N] [--pg-ctl PATH --pg-data DIR]
                       buildtime-bench show FILE
                """)
                exit(argument == "--help" ? 0 : 64)
            }
        }
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Writes a log of at least `megabytes` MB by repeating the timestamped sample pipelines (three interleaved BuildKit
/// builds plus the marker lines), without holding more than one copy of the samples in memory.
func generate(megabytes: Int, at path: String) throws {
    var template = Data()
    for name in ["cold.log", "requirements.log", "code-only.log", "no-change.log"] {
        template.append(try Data(contentsOf: root.appending(path: "samples/logs/\(name)")))
    }
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var written = 0
    while written < megabytes * 1_000_000 {
        try handle.write(contentsOf: template)
        written += template.count
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func best(of count: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<count { times.append(try seconds(body)) }
    return times.min()!
}

/// Peak resident memory of this process so far, in MB.
func peakMemoryMB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func parse(_ path: String, readsBuilds: Bool = true) throws -> LogSummary {
    let analyzer = try LogAnalyzer(configuration: .default, readsBuilds: readsBuilds)
    let outcome = try LogReader().read(try FileByteSource(path: path), into: analyzer)
    return analyzer.summary(reading: outcome)
}

func grepCount(_ path: String) throws -> Int {
    let patterns = ["Building Docker images in parallel\\.\\.\\.", "✅ All images built and tagged", "✅ All containers deployed successfully"]
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["grep", "-cE", patterns.joined(separator: "|"), path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Int(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
}

if let path = options.show {
    // `buildtime-bench show FILE`: each line with the build the parser gave it to (for looking at a misreading).
    let trace = try BuildAttributionTrace(path: path)
    for (index, text) in trace.texts.enumerated() {
        let owner = trace.owners[index].map { "\($0) " + (trace.images[$0].name ?? "unnamed") } ?? ""
        print(owner.padding(toLength: 24, withPad: " ", startingAt: 0) + " | " + text.prefix(120))
    }
    exit(0)
}

if let url = options.postgres {
    guard !url.isEmpty else { print("postgres: give --url postgresql://USER@HOST:PORT/DB"); exit(64) }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "buildtime")
    try PostgresBenchmark(url: url, writers: options.writers, runs: options.runsEach, reportRuns: options.reportRuns, pgCtl: options.pgCtl, pgData: options.pgData,
                          directory: options.directory, samples: root.appending(path: "samples/history"), binary: binary).run()
    exit(0)
}

if options.attribution {
    try attributionBenchmark(count: options.logs, seed: options.seed, directory: options.directory, root: root)
    exit(0)
}

if options.stats {
    try statsBenchmark(count: options.series, seed: options.seed, root: root)
    exit(0)
}

if options.longLines {
    try longLineBenchmark()
    exit(0)
}

if options.report {
    try reportBenchmark(runs: options.runs, directory: options.directory, samples: root.appending(path: "samples/history"), keep: options.keep)
    exit(0)
}

let small = (options.directory as NSString).appendingPathComponent("buildtime-bench-small.log")
let large = (options.directory as NSString).appendingPathComponent("buildtime-bench-large.log")
defer {
    try? FileManager.default.removeItem(atPath: small)
    try? FileManager.default.removeItem(atPath: large)
}
let smallMegabytes = max(1, options.megabytes / 10)
try generate(megabytes: smallMegabytes, at: small)
try generate(megabytes: options.megabytes, at: large)
let size = Double((try FileManager.default.attributesOfItem(atPath: large)[.size] as? Int) ?? 0) / 1e6

let baseline = peakMemoryMB()
_ = try parse(small)
let afterSmall = peakMemoryMB()
var summary: LogSummary?
let parserTime = try best(of: 3) { summary = try parse(large) }
let afterLarge = peakMemoryMB()
let markersTime = try best(of: 3) { _ = try parse(large, readsBuilds: false) }
var matches = 0
let grepTime = try best(of: 3) { matches = try grepCount(large) }

let locale = ProcessInfo.processInfo.environment["LC_ALL"] ?? ProcessInfo.processInfo.environment["LANG"] ?? "unset"
print("log: \(String(format: "%.0f", size)) MB, \(summary!.reading.lineCount) lines (the four timestamped sample pipelines, repeated)")
print(String(format: "grep -cE (3 marker patterns, %d matching lines, locale %@): %.3f s  (%.0f MB/s)", matches, locale, grepTime, size / grepTime))
print(String(format: "reading + phase markers:             %.3f s  (%.0f MB/s)  ratio to grep %.2f  (target ≥ 0.50)", markersTime, size / markersTime, grepTime / markersTime))
print(String(format: "full analysis (+ Docker builds, %d images kept): %.3f s  (%.0f MB/s)  ratio to grep %.2f", summary!.images.count, parserTime, size / parserTime, grepTime / parserTime))
print(String(format: "peak memory: %.1f MB before, %.1f MB after %d MB, %.1f MB after %.0f MB  (target: flat)", baseline, afterSmall, smallMegabytes, afterLarge, size))
