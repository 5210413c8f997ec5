import BuildtimeCore
import BuildtimeEvaluation
import Foundation

/// `buildtime-bench stats`: the regression analysis on `count` simulated histories per scenario (see
/// `CalibrationScenario.all`), and Apache Otava's change points on the same series when it is installed; prints one
/// table with both and the targets of the verdict issue.
func statsBenchmark(count: Int, seed: Int, root: URL) throws {
    let analyzer = RegressionAnalyzer()
    let otava = OtavaDriver(script: root.appending(path: "Benchmarks/otava-driver.py"))
    print("\(count) simulated histories per scenario (seed \(seed)); buildtime \(otava == nil ? "only (Otava not installed: pip install apache-otava)" : "and Apache Otava (defaults) on the same series")")
    print("scenario            false/100 (slow fast shift) | outlier: flagged twice  shift | shift: ±1   ±3  err  online  repeats | Otava: false/100 outlier→shift shift ±1")
    let start = Date()
    for scenario in CalibrationScenario.all {
        var score = CalibrationScore()
        var peer = OtavaScore()
        var batch: [CalibrationSeries] = []
        for index in 0..<count {
            let series = CalibrationSeries(scenario, index: index, seed: UInt64(seed))
            score.add(series, event: scenario.event, analyzer: analyzer)
            batch.append(series)
        }
        if let otava { peer = try otava.score(batch, event: scenario.event) }
        print(row(scenario, score, otava == nil ? nil : peer))
    }
    print(String(format: "(%.0f s)", Date().timeIntervalSince(start)))
    print("""
    targets: ≤ 1 false alarm per 100 noise runs at CV ≤ 10%; ≥ 99% of 2x outliers flagged, each once, never a shift;
             ≥ 95% of +25% shifts found within ±1 run; no repeated alert after an accepted shift.
    false/100: alerts on runs that are not the planted event, per 100; flagged/twice/shift: share of outliers flagged
    at their run, also taken for a shift, taken for a shift; ±1, ±3: shifts found that close; err: mean location error
    of those within ±3; online: mean runs after the shift until a growing history found it; repeats: alerts after a
    found shift against a baseline still nearer the old level, per shift (one against the new level is a false alarm).
    """)
}

private func percent(_ part: Int, _ whole: Int) -> String {
    whole == 0 ? "    —" : String(format: "%4.0f%%", 100 * Double(part) / Double(whole))
}

private func row(_ scenario: CalibrationScenario, _ s: CalibrationScore, _ otava: OtavaScore?) -> String {
    let name = scenario.name.padding(toLength: 18, withPad: " ", startingAt: 0)
    var text = name + String(format: " %8.2f (%4d %4d %4d) |", s.falseAlarmsPer100, s.falseRegressions, s.falseImprovements, s.falseShifts)
    text += s.outliers > 0 ? "  \(percent(s.outliersFlagged, s.outliers))  \(percent(s.outliersFlaggedTwice, s.outliers))  \(percent(s.outliersTakenForShift, s.outliers)) |"
        : "      —      —      — |"
    if s.shifts > 0 {
        text += " \(percent(s.shiftsFound, s.shifts)) \(percent(s.shiftsFoundNear, s.shifts))"
        text += String(format: " %4.1f %6.1f %8.2f |", s.shiftsFoundNear > 0 ? Double(s.locationError) / Double(s.shiftsFoundNear) : 0,
                       s.foundOnline > 0 ? Double(s.runsUntilFound) / Double(s.foundOnline) : 0, Double(s.repeatAlerts) / Double(s.shifts))
    } else {
        text += "     —     —    —      —        — |"
    }
    if let otava {
        text += String(format: " %8.2f", otava.falseAlarmsPer100)
        text += "         " + (otava.outliers > 0 ? percent(otava.outliersTakenForShift, otava.outliers) : "    —")
        text += "     " + (otava.shifts > 0 ? percent(otava.shiftsFound, otava.shifts) : "    —")
    }
    return text
}

/// Otava's change points, scored as buildtime's shifts are.
struct OtavaScore {
    var noiseRuns = 0, falseAlarms = 0, outliers = 0, outliersTakenForShift = 0, shifts = 0, shiftsFound = 0
    var falseAlarmsPer100: Double { noiseRuns > 0 ? 100 * Double(falseAlarms) / Double(noiseRuns) : 0 }
}

/// Runs `Benchmarks/otava-driver.py`: one series per line in, its change points per line out.
struct OtavaDriver {
    let script: URL

    /// Nil when Python or Otava is missing.
    init?(script: URL) {
        self.script = script
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import otava.analysis"]
        probe.standardError = FileHandle(forWritingAtPath: "/dev/null")
        guard (try? probe.run()) != nil else { return nil }
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else { return nil }
    }

    func score(_ series: [CalibrationSeries], event: CalibrationScenario.Event) throws -> OtavaScore {
        let input = FileManager.default.temporaryDirectory.appending(path: "buildtime-otava-\(getpid()).jsonl")
        defer { try? FileManager.default.removeItem(at: input) }
        let lines = try series.map { String(decoding: try JSONEncoder().encode($0.totals), as: UTF8.self) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        process.standardInput = try FileHandle(forReadingFrom: input)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchmarkError("the Otava driver failed (status \(process.terminationStatus))") }
        let points = try String(decoding: output, as: UTF8.self).split(separator: "\n").map { try JSONDecoder().decode([Int].self, from: Data($0.utf8)) }
        var score = OtavaScore()
        for (one, found) in zip(series, points) {
            let reading = one.read(points: found, event: event)
            score.noiseRuns += one.totals.count - (one.eventIndex == nil ? 0 : 1)
            score.falseAlarms += reading.false
            switch event {
            case .none: break
            case .outlier:
                score.outliers += 1
                if reading.onOutlier { score.outliersTakenForShift += 1 }
            case .shift:
                score.shifts += 1
                if let distance = reading.shiftDistance, distance <= 1 { score.shiftsFound += 1 }
            }
        }
        return score
    }
}
