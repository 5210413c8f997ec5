/// Reads a log of any supported format, gzip-compressed or not, streaming its lines to a consumer.
public struct LogReader: Sendable {
    /// The format to read as; nil detects it from the first bytes.
    public var format: LogFormat?
    /// Size of each read.
    public var chunkSize = 1 << 20
    /// How much of the start is looked at to detect the format and the timestamp style.
    public var sniffSize = 1 << 16

    public init(format: LogFormat? = nil) {
        self.format = format
    }

    /// What reading a log found out about it, apart from its lines.
    public struct Outcome: Sendable, Equatable {
        public var format: LogFormat
        public var timestampStyle: TimestampStyle?
        public var isCompressed: Bool
        /// Identifies the (decompressed) content: the same bytes give the same fingerprint.
        public var fingerprint: String
        public var lineCount: Int
        /// Coarsest timestamp granularity, in seconds; nil when no line had a time.
        public var timeResolution: Double?
        /// What the log's times count from; nil when no line had a time.
        public var timeBase: TimeBase?
        /// What the input is when it is one whole JSON document of no log kind (`an object with keys a, b`), read as
        /// text; nil for a log.
        public var jsonDocument: String?
        /// What was left out as beyond any real log.
        public var ignored = IgnoredValues()
    }

    /// Reads all of `source`, handing every line to `consumer`.
    public func read(_ source: any ByteSource, into consumer: LogLineConsumer) throws -> Outcome {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }

        var source = source
        var prefix = try Self.read(atLeast: sniffSize, from: &source, using: buffer)
        let isCompressed = prefix.count >= 2 && prefix[0] == 0x1F && prefix[1] == 0x8B
        if isCompressed {
            source = try GzipByteSource(base: PrefixedByteSource(prefix: prefix, base: source))
            prefix = try Self.read(atLeast: sniffSize, from: &source, using: buffer)
        }
        guard !prefix.isEmpty else { throw LogParseError(line: 1, reason: "empty log: nothing to read") }

        let (format, style) = prefix.withUnsafeBufferPointer { sample -> (LogFormat, TimestampStyle?) in
            let format = self.format ?? LogFormatDetector.format(of: sample)
            return (format, format == .text ? LogFormatDetector.timestampStyle(of: sample) : nil)
        }
        // A whole JSON document of no log kind (a settings file, an API answer) is read as text, and said to be one.
        let jsonDocument = format == .text && self.format == nil && prefix.count < sniffSize ? LogFormatDetector.jsonDocumentShape(prefix) : nil

        let stream = LogStream(format: format, timestampStyle: style, consumer: consumer)
        try prefix.withUnsafeBytes { try stream.feed($0) }
        while true {
            let count = try source.read(into: buffer)
            if count == 0 { break }
            try stream.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        var outcome = try stream.finish(isCompressed: isCompressed)
        outcome.jsonDocument = jsonDocument
        return outcome
    }

    /// Reads until at least `size` bytes are in or the source ends, and returns the bytes.
    private static func read(atLeast size: Int, from source: inout any ByteSource, using buffer: UnsafeMutableRawBufferPointer) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < size {
            let count = try source.read(into: buffer)
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return bytes
    }
}
