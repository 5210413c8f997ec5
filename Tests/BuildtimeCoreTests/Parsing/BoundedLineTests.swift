import Foundation
import Testing
@testable import BuildtimeCore

/// Lines of any length are read in bounded memory, a line's analysis sees a bounded prefix of it, and binary data
/// anywhere in a log is an error at its own line.
@Suite struct BoundedLineTests {
    @Test func aLineLongerThanTheMaximumIsCutAndTheNextLinesReadOn() throws {
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: LineSplitter.maximumLength * 3 + 17)
        let bytes = Array("first\n".utf8) + long + Array("\nlast\n".utf8)
        // Whole, and in chunks that split the long line anywhere.
        for chunk in [1 << 20, 4096, 333] {
            let (outcome, lines) = try read(bytes, chunkSize: chunk)
            #expect(outcome.lineCount == 3)
            #expect(lines.texts.map(\.utf8.count) == [5, LineSplitter.maximumLength, 4])
            #expect(lines.texts.last == "last")
        }
    }

    @Test(arguments: [0, 1, 7, 40])
    func aNulByteAnywhereIsAnErrorAtItsLine(_ line: Int) throws {
        var bytes: [UInt8] = []
        for index in 0..<line { bytes += Array("2026-11-02T09:14:\(String(format: "%02d", index % 60)).000Z line \(index)\n".utf8) }
        bytes += Array("text before ".utf8) + [0, 0, 0] + Array(" and after\nmore\n".utf8)
        #expect(throws: LogParseError(line: line + 1, reason: "binary data (a NUL byte), not a text log")) { try read(bytes) }
    }

    @Test func aNulByteDeepInAJSONLogIsAnErrorAtItsLine() throws {
        var text = "[\n"
        for index in 0..<30_000 { text += #"{"id":\#(index),"step_id":1,"time":\#(index / 100),"line":\#(index),"data":"aGVsbG8=","type":0},"# + "\n" }
        let bytes = Array(text.utf8) + [0] + Array("]\n".utf8)
        #expect(bytes.count > 2 << 20)
        #expect(throws: LogParseError(line: 30_002, reason: "binary data (a NUL byte), not a text log")) { try read(bytes) }
    }

    @Test func aJSONEntryBeyondTheMaximumIsAnError() throws {
        let data = String(repeating: "QUJD", count: JSONEntryScanner.maximumEntry / 4 + 1)
        let bytes = Array(#"[{"id":1,"step_id":1,"time":0,"line":0,"data":""#.utf8) + Array(data.utf8) + Array(#"","type":0}]"#.utf8)
        #expect(throws: LogParseError(line: 1, reason: "a JSON log entry longer than 16 MB starts here: not a log this reads")) { try read(bytes) }
    }

    /// A RUN line of thousands of installs (the shape that made `.*` backtrack) is still read for what it is: its
    /// install of a requirement file, at the start, makes it the dependency step.
    @Test func aLongInstallLineIsStillTheDependencyStep() throws {
        let run = "RUN pip install -r requirements.txt && " + String(repeating: "pip install x && ", count: 5000) + "true"
        let log = """
            #0 building with "default" instance using docker driver
            #4 [1/3] FROM docker.io/library/python:3.12-slim@sha256:0123
            #4 CACHED
            #5 [2/3] COPY requirements.txt .
            #5 CACHED
            #6 [3/3] \(run)
            #6 DONE 41.0s

            """
        let analyzer = try LogAnalyzer(configuration: .default)
        let summary = analyzer.summary(reading: try LogReader().read(MemoryByteSource(Array(log.utf8)), into: analyzer))
        let image = try #require(summary.images.first)
        #expect(image.dependency?.instruction == run)
        #expect(image.classification.runClass == .requirements)
    }
}

/// What a reading leaves out as beyond any real log is counted, for a warning.
@Suite struct IgnoredValueTests {
    @Test func timesOutOfRangeAndCutLinesAreCounted() throws {
        let json = woodpeckerJSON([(0, "start"), (3, "ok")]).replacingOccurrences(of: #""time":3"#, with: #""time":1e30"#)
        #expect(try read(json).0.ignored == IgnoredValues(times: 1))
        let long = "x\n" + String(repeating: "y", count: LineSplitter.maximumLength + 1) + "\nz\n" + String(repeating: "w", count: LineSplitter.maximumLength * 2)
        #expect(try read(long).0.ignored == IgnoredValues(cutLines: 2))
        #expect(try read("a\nb\n").0.ignored.isEmpty)
    }

    @Test func recordCountsTheLinesItCut() {
        let recording = try! Recording(configuration: .default, command: ["x"])
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 700_000)
        // One line over three chunks, cut; then a short one.
        for _ in 0..<3 { piece.withUnsafeBytes { recording.receive($0, from: .output) } }
        Array("\nshort\n".utf8).withUnsafeBytes { recording.receive($0, from: .output) }
        _ = recording.finish(exit: .exited(0))
        #expect(recording.warnings == ["1 line was longer than 1 MB: analysed to the first 1 MB, passed on whole"])
    }
}
