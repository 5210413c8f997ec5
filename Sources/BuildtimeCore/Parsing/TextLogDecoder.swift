/// Reads plain-text logs: one line per `\n`, each with an optional timestamp prefix of one style.
final class TextLogDecoder: LogDecoder {
    private let assembler: LineAssembler
    private let style: TimestampStyle?
    private var clock = ClockNormalizer()
    private var isoCache = ISOStampCache()
    private var splitter = LineSplitter()
    private var sourceLine = 0
    var nextLine: Int { sourceLine + 1 }
    var ignored: IgnoredValues { IgnoredValues(cutLines: splitter.cutLines) }

    init(assembler: LineAssembler, style: TimestampStyle?) {
        self.assembler = assembler
        self.style = style
    }

    func feed(_ chunk: UnsafeRawBufferPointer) throws {
        splitter.feed(chunk, handle)
    }

    func finish() throws {
        splitter.finish(handle)
    }

    private func handle(_ line: UnsafeBufferPointer<UInt8>) {
        sourceLine += 1
        guard let style, let stamp = style.parse(line, cache: &isoCache) else {
            assembler.emit(line, time: nil, sourceLine: sourceLine)
            return
        }
        let time = clock.normalize(stamp, base: style.base)
        assembler.emit(UnsafeBufferPointer(rebasing: line[stamp.prefixLength...]), time: time, resolution: stamp.resolution, sourceLine: sourceLine)
    }
}

/// Makes times from a log monotone where the stamp format wraps: wall clocks past midnight, and per-step relative
/// times restarting at 0 when `woodpecker-cli exec` or a Woodpecker dump moves to the next step.
struct ClockNormalizer {
    private var offset = 0.0
    private var last: Double?
    private var lastStepLine = -1

    mutating func normalize(_ stamp: ParsedStamp, base: TimeBase) -> Double {
        switch base {
        case .absolute:
            return stamp.seconds
        case .wallClock:
            // A clock that jumps back by more than half a day has passed midnight.
            if let last, stamp.seconds + offset < last - 43_200 { offset += 86_400 }
        case .relative:
            // Line numbers restart in each step; steps run one after another.
            if stamp.stepLine < lastStepLine, let last { offset = last }
            lastStepLine = stamp.stepLine
        }
        let value = stamp.seconds + offset
        last = max(last ?? value, value)
        return value
    }

    /// Starts a new step of relative times, which begins where the last one ended.
    mutating func startStep() {
        if let last { offset = last }
    }
}
