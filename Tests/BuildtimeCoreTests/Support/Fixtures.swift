import Foundation
@testable import BuildtimeCore

/// Paths of the project's and the shared folders, found from this file's location.
enum Fixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let samples = repositoryRoot.appending(path: "samples")

    /// `../shared/realworld`, which a fresh clone does not have.
    static let realWorld = repositoryRoot.deletingLastPathComponent().appending(path: "shared/realworld")

    static var hasRealWorld: Bool { FileManager.default.fileExists(atPath: realWorld.path) }

    static func realWorldFile(_ name: String) -> String { realWorld.appending(path: name).path }
}

/// Collects the lines a reader hands on, as strings with their times.
final class LineCollector: LogLineConsumer {
    var lines: [(text: String, time: Double?, number: Int, sourceLine: Int)] = []
    var texts: [String] { lines.map(\.text) }
    var times: [Double?] { lines.map(\.time) }

    func consume(_ line: LogLine) {
        lines.append((line.string, line.time, line.number, line.sourceLine))
    }
}

/// Reads `bytes` with a `LogReader`, returning the outcome and the lines.
func read(_ bytes: [UInt8], format: LogFormat? = nil, chunkSize: Int = 1 << 20) throws -> (LogReader.Outcome, LineCollector) {
    let collector = LineCollector()
    var reader = LogReader(format: format)
    reader.chunkSize = chunkSize
    let outcome = try reader.read(MemoryByteSource(bytes), into: collector)
    return (outcome, collector)
}

func read(_ text: String, format: LogFormat? = nil, chunkSize: Int = 1 << 20) throws -> (LogReader.Outcome, LineCollector) {
    try read(Array(text.utf8), format: format, chunkSize: chunkSize)
}

/// Reads a file with a `LogReader`.
func readFile(_ path: String, format: LogFormat? = nil) throws -> (LogReader.Outcome, LineCollector) {
    let collector = LineCollector()
    let outcome = try LogReader(format: format).read(try FileByteSource(path: path), into: collector)
    return (outcome, collector)
}

/// Woodpecker API log entries for these lines, `data` base64 encoded.
func woodpeckerJSON(_ entries: [(time: Int, data: String)], stepID: Int = 7) -> String {
    let objects = entries.enumerated().map { index, entry in
        #"{"id":\#(100 + index),"step_id":\#(stepID),"time":\#(entry.time),"line":\#(index),"data":"\#(Data(entry.data.utf8).base64EncodedString())","type":0}"#
    }
    return "[" + objects.joined(separator: ",") + "]"
}

/// Gzip-compresses bytes with the system's gzip.
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let directory = FileManager.default.temporaryDirectory.appending(path: "buildtime-gzip-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appending(path: "log")
    try Data(bytes).write(to: file)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-n", file.path]
    try process.run()
    process.waitUntilExit()
    return Array(try Data(contentsOf: directory.appending(path: "log.gz")))
}

/// Whether two measured durations agree to the millisecond (or are both unmeasured).
func same(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let a?, let b?): abs(a - b) < 0.0005
    default: false
    }
}
