/// Which build the Docker build parser gave each line of a log to: lets a test or a benchmark compare the parser's
/// reading of interleaved builds with the lines' true owners.
public struct BuildAttributionTrace: Sendable {
    /// For each line, the index into `images` of the build that took it; nil for lines that are not BuildKit
    /// progress (markers, other output) and for builds that left no image.
    public var owners: [Int?]
    /// The builds found, classified, as `LogSummary.images` holds them.
    public var images: [ImageBuild]

    /// Reads the log at `path`, in any format buildtime reads; `texts` then holds each line.
    public init(path: String, configuration: Configuration = .default) throws {
        let analyzer = try LogAnalyzer(configuration: configuration)
        analyzer.tracesBuilds()
        let recorder = LineRecorder(next: analyzer)
        let outcome = try LogReader().read(try FileByteSource(path: path), into: recorder)
        let (images, kept) = analyzer.imagesWithTheirBuilds()
        self.images = images
        classification = analyzer.classification(of: analyzer.summary(reading: outcome))
        owners = (analyzer.buildTrace ?? []).map { $0 >= 0 ? kept[$0] : nil }
        texts = recorder.texts
    }

    /// The run's class, when read from a path.
    public var classification = Classification.unknown([Fact(.notClassified)])

    /// The lines read, when read from a path.
    public var texts: [String] = []

    /// Reads `lines` (text with an optional time each) as one log.
    public init(lines: [(text: String, time: Double?)], configuration: Configuration = .default) throws {
        let analyzer = try LogAnalyzer(configuration: configuration)
        analyzer.tracesBuilds()
        for (index, line) in lines.enumerated() {
            var bytes = Array(line.text.utf8)
            bytes.withUnsafeMutableBufferPointer { buffer in
                analyzer.consume(LogLine(text: UnsafeBufferPointer(buffer), time: line.time, number: index + 1, sourceLine: index + 1))
            }
        }
        let (images, kept) = analyzer.imagesWithTheirBuilds()
        self.images = images
        owners = (analyzer.buildTrace ?? []).map { $0 >= 0 ? kept[$0] : nil }
    }
}

/// Keeps each line's text on its way to the analyzer.
private final class LineRecorder: LogLineConsumer {
    let next: LogLineConsumer
    var texts: [String] = []
    init(next: LogLineConsumer) { self.next = next }
    func consume(_ line: LogLine) {
        texts.append(line.string)
        next.consume(line)
    }
}
