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

    /// What the page's layout is at `width` CSS pixels: the page is shown in an iframe that wide (a headless window is
    /// at least 500 px wide), with a copy of it that measures itself once laid out and posts the figures to the frame
    /// around it, which Chromium then prints (`--dump-dom`). The report itself has no script; only the copy does.
    static func layout(of page: URL, width: Int, in directory: URL) throws -> Layout {
        let name = "measured-\(UUID().uuidString).html"
        let html = try String(contentsOf: page, encoding: .utf8)
        try html.replacingOccurrences(of: "</body>", with: measuring + "</body>").write(to: directory.appending(path: name), atomically: true, encoding: .utf8)
        let frame = directory.appending(path: "frame-\(UUID().uuidString).html")
        try """
            <!DOCTYPE html><html><body style="margin:0"><iframe src="\(name)" style="border:0;width:\(width)px;height:900px"></iframe>
            <pre id="layout"></pre><script>addEventListener('message', e => { document.getElementById('layout').textContent = e.data; });</script></body></html>
            """.write(to: frame, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(directory.appending(path: "profile").path)",
                             "--window-size=1400,1000", "--virtual-time-budget=5000", "--dump-dom", frame.absoluteString]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let dom = String(decoding: data, as: UTF8.self)
        guard let start = dom.range(of: "<pre id=\"layout\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            throw LayoutError(dom: String(dom.prefix(2000)))
        }
        let json = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        return try JSONDecoder().decode(Layout.self, from: Data(json.utf8))
    }

    struct LayoutError: Error { var dom: String }

    /// The figures the measuring copy reports, in CSS pixels.
    struct Layout: Decodable {
        /// The frame's width and the page's: wider means the page scrolls sideways.
        var viewport: Double, scrollWidth: Double
        var height: Double
        /// Where the first chart, the hints and the runs table start.
        var firstChart: Double?, hints: Double?, runs: Double?
        var charts: Int
        /// The smallest chart text as drawn (its font size times the chart's scale), and which text it is.
        var smallestChartText: Double, smallestText: String
        /// Chart texts that reach past their chart's edges.
        var clipped: [String]
        /// Rows of the runs table taller than one line, and of how many.
        var tallRows: Int, rows: Int
        /// Figures without a legend entry.
        var withoutLegend: Int
    }

    static let measuring = """
        <script>
        addEventListener('load', () => {
          const top = (e) => e ? e.getBoundingClientRect().top + scrollY : null;
          let smallest = 1e9, smallestText = '', clipped = [];
          for (const t of document.querySelectorAll('svg text')) {
            const svg = t.closest('svg'), box = svg.getBoundingClientRect(), b = t.getBoundingClientRect();
            const size = parseFloat(getComputedStyle(t).fontSize) * box.width / svg.viewBox.baseVal.width;
            if (size < smallest) { smallest = size; smallestText = t.textContent; }
            if (b.left < box.left - 0.5 || b.right > box.right + 0.5 || b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5) clipped.push(t.textContent);
          }
          const rows = [...document.querySelectorAll('#runs tbody tr')];
          const line = rows.length ? parseFloat(getComputedStyle(rows[0].cells[0]).lineHeight) : 0;
          parent.postMessage(JSON.stringify({
            viewport: innerWidth, scrollWidth: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
            firstChart: top(document.querySelector('svg')), hints: top(document.querySelector('#hints')), runs: top(document.querySelector('#runs')),
            charts: document.querySelectorAll('svg').length, smallestChartText: smallest, smallestText: smallestText, clipped: clipped,
            tallRows: rows.filter(r => r.getBoundingClientRect().height > 1.6 * line).length, rows: rows.length,
            withoutLegend: [...document.querySelectorAll('figure')].filter(f => !f.querySelector('.legend span')).length
          }), '*');
        });
        </script>
        """

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

    /// The layout a person sees, on a laptop (1280 px) and on a phone (420 px): the charts before any text section,
    /// no sideways scroll of the page, chart text never under 10 px nor cut at a chart's edge, one line per runs-table
    /// row on the laptop, a legend under every chart, and a page about half as tall as the one before the charts
    /// came first (7,245 px at 1200 px for this history).
    @Test func theSampleHistoryReportIsLaidOutForALaptopAndAPhone() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["ingest"] + ReportCommandTests.logs()).status == 0)
        let report = runner.directory.appending(path: "report.html")
        #expect(try runner.run(["report", "--last", "64", "--format", "html", "--output", report.path]).status == 0)
        for width in [1280, 420] {
            let layout = try Chromium.layout(of: report, width: width, in: runner.directory)
            #expect(layout.viewport == Double(width))
            #expect(layout.scrollWidth <= layout.viewport, "\(width) px: the page is \(layout.scrollWidth) px wide")
            // Four classes, the phases and the timeline; above the hints and the runs.
            #expect(layout.charts == 6)
            let chart = try #require(layout.firstChart), hints = try #require(layout.hints), runs = try #require(layout.runs)
            #expect(chart < 400 && chart < hints && hints < runs, "\(width) px: chart at \(chart), hints at \(hints), runs at \(runs)")
            #expect(layout.smallestChartText >= 10, "\(width) px: '\(layout.smallestText)' is \(layout.smallestChartText) px")
            #expect(layout.clipped.isEmpty, "\(width) px: \(layout.clipped)")
            #expect(layout.withoutLegend == 0)
            #expect(layout.rows == 64)
            if width == 1280 {
                #expect(layout.tallRows == 0, "\(layout.tallRows) of \(layout.rows) rows wrap")
                #expect(layout.height <= 3_800, "the page is \(layout.height) px tall")
            }
        }
    }
}
