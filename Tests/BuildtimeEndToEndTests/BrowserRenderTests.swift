import Foundation
import Testing

/// Headless Chromium, when installed (`.ci/run` installs the Debian package).
enum Chromium {
    static let path: String? = {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
                return directory + "/" + name
            }
        }
        return nil
    }()

    /// Screenshots `page` at `width`×`height`; returns the PNG and what Chromium logged.
    static func screenshot(_ page: URL, width: Int, height: Int, in directory: URL) throws -> (png: Data, log: String) {
        let output = directory.appending(path: "shot-\(UUID().uuidString).png")
        let log = directory.appending(path: "chromium-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                             "--user-data-dir=\(directory.appending(path: "profile").path)", "--screenshot=\(output.path)",
                             "--window-size=\(width),\(height)", page.absoluteString]
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // A hung browser fails the test instead of holding CI.
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try handle.close()
        return (try Data(contentsOf: output), String(decoding: try Data(contentsOf: log), as: UTF8.self))
    }

    /// Width and height from a PNG's IHDR chunk, after checking the signature.
    static func size(ofPNG data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        let number = { (offset: Int) in bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (number(16), number(20))
    }
}

@Suite(.enabled(if: Chromium.path != nil, "headless Chromium is not installed"))
struct BrowserRenderTests {
    @Test func theSampleHistoryReportRendersInARealBrowser() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["ingest"] + ReportCommandTests.logs()).status == 0)
        let report = runner.directory.appending(path: "report.html")
        let result = try runner.run(["report", "--last", "64", "--format", "html", "--output", report.path])
        #expect(result.status == 0, "\(result.stderr)")
        let blank = URL(fileURLWithPath: try runner.write("blank.html", "<!DOCTYPE html><html><body style=\"background:#fff\"></body></html>"))

        let (png, log) = try Chromium.screenshot(report, width: 1100, height: 2400, in: runner.directory)
        let size = try #require(Chromium.size(ofPNG: png), "not a PNG")
        #expect(size.width == 1100 && size.height == 2400)
        // A white page compresses to a few kilobytes; charts, text and tables do not.
        let (empty, _) = try Chromium.screenshot(blank, width: 1100, height: 2400, in: runner.directory)
        #expect(png.count > 10 * empty.count, "report \(png.count) bytes, blank page \(empty.count) bytes")
        // No script ran, none failed.
        #expect(!log.contains("CONSOLE") && !log.contains("Uncaught"), "\(log)")
    }
}
