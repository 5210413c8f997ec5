import BuildtimeEvaluation
import Foundation
import Testing

/// A seeded sample of the attribution benchmark (`buildtime-bench attribution` runs 1000 and more): logs of parallel
/// builds written by samples/tools/make-interleavings.py with the truth about every line, read and scored here. The
/// figures asserted are those this sample is read with today, a guard against a change that reads it worse; the
/// benchmark says how good the reading is.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "python3 is not installed"))
struct InterleavingGeneratorTests {
    @Test func aSeededSampleOfGeneratedLogsIsReadAsWellAsBefore() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "buildtime-interleavings-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let generator = Process()
        generator.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        generator.arguments = [Fixtures.samples.appending(path: "tools/make-interleavings.py").path, "--count", "40", "--seed", "7", "--out", folder]
        try generator.run()
        generator.waitUntilExit()
        try #require(generator.terminationStatus == 0)
        var score = AttributionScore()
        for index in 0..<40 {
            let base = (folder as NSString).appendingPathComponent(String(format: "%04d", index))
            try score.add(log: base + ".log", truth: base + ".truth.json")
        }
        #expect(score.logs == 40)
        #expect(score.runClassAccuracy == 1, "run classes \(score.runClassAccuracy)")
        #expect(score.nameAccuracy >= 0.99, "names \(score.nameAccuracy)")
        #expect(score.classAccuracy >= 0.99, "classes \(score.classAccuracy)")
        // Steps count as right with their outcome and their own instruction at their position (0.985 on this sample,
        // since the generator shows a shared vertex only once a build's solve reaches it; lines 0.868).
        #expect(score.stepAccuracy >= 0.98, "steps \(score.stepAccuracy)")
        #expect(score.lineAccuracy >= 0.86, "lines \(score.lineAccuracy)")
    }
}
