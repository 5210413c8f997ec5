/// Reads a log pushed to it chunk by chunk, in a known format: what `LogReader` does after sniffing, and what
/// `record` does with the output of a running command.
public final class LogStream {
    private let format: LogFormat
    private let style: TimestampStyle?
    private let assembler: LineAssembler
    private let decoder: LogDecoder
    private var hasher = ContentHasher()

    public init(format: LogFormat, timestampStyle: TimestampStyle?, consumer: LogLineConsumer) {
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
        hasher.update(chunk)
        try decoder.feed(chunk)
    }

    /// Reads the end of the log and says what it was.
    public func finish(isCompressed: Bool = false) throws -> LogReader.Outcome {
        try decoder.finish()
        let timeBase: TimeBase? = assembler.resolution == nil ? nil : (format == .text ? style?.base : .relative)
        return LogReader.Outcome(
            format: format, timestampStyle: style, isCompressed: isCompressed, fingerprint: hasher.fingerprint,
            lineCount: assembler.count, timeResolution: assembler.resolution, timeBase: timeBase
        )
    }
}
