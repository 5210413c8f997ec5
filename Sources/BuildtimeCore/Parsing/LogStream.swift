#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a log pushed to it chunk by chunk, in a known format: what `LogReader` does after sniffing, and what
/// `record` does with the output of a running command.
public final class LogStream {
    private let format: LogFormat
    private let style: TimestampStyle?
    private let assembler: LineAssembler
    private let decoder: LogDecoder
    private var hasher = ContentHasher()
    private let rejectsBinary: Bool

    /// `rejectsBinary`: a NUL byte anywhere ends the reading with an error at its line (no log holds one); `record`
    /// reads on instead, since a command's output is what it is.
    public init(format: LogFormat, timestampStyle: TimestampStyle?, consumer: LogLineConsumer, rejectsBinary: Bool = true) {
        self.rejectsBinary = rejectsBinary
        self.format = format
        style = format == .text ? timestampStyle : nil
        assembler = LineAssembler(consumer: consumer)
        decoder = switch format {
        case .text: TextLogDecoder(assembler: assembler, style: style)
        case .woodpeckerJSON, .woodpeckerJSONLines, .droneJSON: JSONEntryLogDecoder(assembler: assembler, format: format)
        case .woodpeckerSQL: SQLDumpLogDecoder(assembler: assembler)
        }
    }

    /// Reads the next bytes of the log.
    public func feed(_ chunk: UnsafeRawBufferPointer) throws {
        if rejectsBinary, let base = chunk.baseAddress, let nul = memchr(base, 0, chunk.count) {
            let before = UnsafeRawBufferPointer(rebasing: chunk[..<(UnsafeRawPointer(nul) - base)])
            hasher.update(before)
            try decoder.feed(before)
            throw LogParseError(line: decoder.nextLine, reason: "binary data (a NUL byte), not a text log")
        }
        hasher.update(chunk)
        try decoder.feed(chunk)
    }

    /// Reads the end of the log and says what it was.
    public func finish(isCompressed: Bool = false) throws -> LogReader.Outcome {
        try decoder.finish()
        let timeBase: TimeBase? = assembler.resolution == nil ? nil : decoder.timeBase ?? (format == .text ? style?.base : .relative)
        var outcome = LogReader.Outcome(
            format: format, timestampStyle: style, isCompressed: isCompressed, fingerprint: hasher.fingerprint,
            lineCount: assembler.count, timeResolution: assembler.resolution, timeBase: timeBase
        )
        outcome.ignored = decoder.ignored
        return outcome
    }
}
