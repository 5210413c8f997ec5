import BuildtimeCore
import BuildtimeEvaluation
import Foundation

/// `buildtime-bench attribution`: writes `count` logs of interleaved parallel builds with the generator
/// (samples/tools/make-interleavings.py), reads each, and prints how well the lines, steps, names and classes were read,
/// by kind of log and in all, against the targets of the parallel-build issue.
func attributionBenchmark(count: Int, seed: Int, directory: String, root: URL) throws {
    let environment = ProcessInfo.processInfo.environment
    /// Prints the log `base`.log line by line against `base`.truth.json.
    func explain(_ base: String) throws {
        try AttributionScore.explain(log: base + ".log", truth: base + ".truth.json").forEach { print($0) }
    }
    // EXPLAIN_LOG=DIR/0007 explains one log written before (DIR/0007.log beside DIR/0007.truth.json), without
    // generating any: a sample's log with a truth written for it, or a log kept with KEEP=1.
    if let base = environment["EXPLAIN_LOG"] {
        try explain(base)
        return
    }
    let folder = (directory as NSString).appendingPathComponent("buildtime-bench-attribution-\(seed)")
    try? FileManager.default.removeItem(atPath: folder)
    defer { if environment["KEEP"] == nil { try? FileManager.default.removeItem(atPath: folder) } }
    let generator = Process()
    generator.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    generator.arguments = ["python3", root.appending(path: "samples/tools/make-interleavings.py").path, "--count", "\(count)", "--seed", "\(seed)", "--out", folder]
    try generator.run()
    generator.waitUntilExit()
    guard generator.terminationStatus == 0 else { throw BenchmarkError("the generator failed (status \(generator.terminationStatus))") }

    // EXPLAIN=7 prints log 7 line by line (EXPLAIN=0-99 logs 0 to 99): its true owner, the owner read, `!` where
    // they differ.
    if let range = environment["EXPLAIN"] {
        let bounds = range.split(separator: "-").compactMap { Int($0) }
        for index in (bounds.first ?? 0)...(bounds.last ?? 0) where index < count {
            let base = (folder as NSString).appendingPathComponent(String(format: "%04d", index))
            print("== \(base).log")
            try explain(base)
        }
        return
    }
    let perLog = environment["PER_LOG"] != nil
    var byMode: [String: AttributionScore] = [:]
    var byStamps: [String: AttributionScore] = [:]
    let start = Date()
    for index in 0..<count {
        let base = (folder as NSString).appendingPathComponent(String(format: "%04d", index))
        let truth = try JSONDecoder().decode(AttributionScore.Truth.self, from: Data(contentsOf: URL(fileURLWithPath: base + ".truth.json")))
        var score = AttributionScore()
        try score.add(log: base + ".log", truth: base + ".truth.json")
        // PER_LOG=1 prints each log's figures, to compare two versions of the parser log by log.
        if perLog {
            print("log \(index) \(truth.mode) \(truth.stamps): lines \(score.linesRight)/\(score.lines) steps \(score.stepsRight)/\(score.steps) names \(score.namesRight) classes \(score.classesRight)/\(score.images) exact✗ \(score.exactButWrong) builds✗ \(score.buildCountWrong)")
        }
        byMode[truth.mode, default: AttributionScore()] = byMode[truth.mode, default: AttributionScore()] + score
        byStamps[truth.stamps, default: AttributionScore()] = byStamps[truth.stamps, default: AttributionScore()] + score
    }
    let elapsed = Date().timeIntervalSince(start)
    func row(_ label: String, _ s: AttributionScore) -> String {
        String(format: "%-22@ %5d %8.3f%% %8.3f%% %8.2f%% %8.2f%% %8.2f%% %6d %6d/%-6d %5d", label as NSString, s.logs, 100 * s.lineAccuracy, 100 * s.stepAccuracy,
               100 * s.nameAccuracy, 100 * s.classAccuracy, 100 * s.runClassAccuracy, s.exactButWrong, s.inferredButRight, s.inferred, s.buildCountWrong)
    }
    print("\(count) generated logs (seed \(seed)), read in \(String(format: "%.1f", elapsed)) s")
    print("kind of log             logs    lines    steps     names   classes  run class  exact✗ inferred✓/all  builds✗")
    let different = ["team", "two", "five", "failed"]
    for mode in ["team", "two", "five", "failed", "identical"] { if let s = byMode[mode] { print(row(mode, s)) } }
    print(row("different Dockerfiles", different.compactMap { byMode[$0] }.reduce(AttributionScore(), +)))
    for stamps in ["ms", "s", "none", "jenkins"] { if let s = byStamps[stamps] { print(row("stamps: \(stamps)", s)) } }
    print(row("all", byMode.values.reduce(AttributionScore(), +)))
    let all = byMode.values.reduce(AttributionScore(), +)
    print("images: \(all.images), said exact: \(all.images - all.inferred), of which \(all.exactButWrong) with a wrong line")
    print("wrong lines: \(all.lines - all.linesRight), of which \(all.wrongButAlike) alike a line the build given them printed within 40 lines")
    print("wrong lines by kind: " + all.wrongByKind.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    if environment["VERBOSE"] != nil { byMode.values.reduce(AttributionScore(), +).misreadings.forEach { print($0) } }
    print("targets: different Dockerfiles 100% names and classes, ≥ 99.9% lines; identical ≥ 99% classes; exact✗ = 0")
    print("exact✗: images said exact with a wrong line; inferred✓: said inferred though every line was right; builds✗: logs with a wrong number of builds")
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
