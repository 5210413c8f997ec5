import Foundation

/// Turns a stream of raw bytes into lines for a `LineAssembler`.
protocol LogDecoder: AnyObject {
    func feed(_ chunk: UnsafeRawBufferPointer) throws
    func finish() throws
    /// The line of the input (1-based) the next byte fed belongs to.
    var nextLine: Int { get }
    /// What was read and left out as beyond any real log: times out of range, the rest of a line past the maximum.
    var ignored: IgnoredValues { get }
    /// What the lines' times count from, when the decoder knows better than its format (entries whose lines carry
    /// their own absolute timestamps).
    var timeBase: TimeBase? { get }
}

extension LogDecoder {
    var timeBase: TimeBase? { nil }
}

/// Entry lines that carry their own ISO-8601 timestamp (a step whose output went through `ts`, a tool that stamps its
/// lines, a log copied from another CI into Woodpecker): the stamp is taken off the line, so what follows reads as it
/// would in a text log, and when the first line with content has one, the lines' own stamps time the log instead of
/// the entries' whole seconds since the step started (finer, and absolute). Lines without a stamp keep the time of
/// the line before.
struct InnerStamps {
    enum Mode { case undecided, own, entries }
    private(set) var mode = Mode.undecided
    private var cache = ISOStampCache()

    /// The line without its stamp, and the time and resolution it is to be read with.
    mutating func read(_ line: UnsafeBufferPointer<UInt8>, time: Double?, resolution: Double?)
        -> (line: UnsafeBufferPointer<UInt8>, time: Double?, resolution: Double?) {
        let stamp = line.first.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } == true ? TimestampStyle.iso8601.parse(line, cache: &cache) : nil
        if mode == .undecided, line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) { mode = stamp == nil ? .entries : .own }
        // Before a line with content decides, a blank line carries no time: it could be either kind.
        guard let stamp else { return mode == .entries ? (line, time, resolution) : (line, nil, nil) }
        let rest = UnsafeBufferPointer(rebasing: line[stamp.prefixLength...])
        return mode == .own ? (rest, stamp.seconds, stamp.resolution) : (rest, time, resolution)
    }
}

/// Values a decoder left out because no real log holds them, for a warning.
public struct IgnoredValues: Sendable, Equatable {
    /// Entry times out of range (negative, not finite, more than 115 days into a step).
    public var times = 0
    /// Lines longer than `LineSplitter.maximumLength`, read to that length.
    public var cutLines = 0

    public init(times: Int = 0, cutLines: Int = 0) {
        self.times = times
        self.cutLines = cutLines
    }

    public var isEmpty: Bool { times == 0 && cutLines == 0 }
}

/// Reassembles lines from log entries that each hold one line (Woodpecker ≥ 2.6), or any chunk of the output with
/// its newlines (Woodpecker < 2.6, Drone): once an entry ends in `\n`, entries are joined and split at newlines.
struct EntryLineJoiner {
    private(set) var stamps = InnerStamps()
    private var joining = false
    private var pending: [UInt8] = []
    private var pendingTime: Double?
    private var pendingLine = 0

    mutating func add(_ data: [UInt8], time: Double?, sourceLine: Int, to assembler: LineAssembler, resolution: Double?) {
        if data.last == UInt8(ascii: "\n") { joining = true }
        var start = 0
        data.withUnsafeBufferPointer { bytes in
            while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                emit(UnsafeBufferPointer(rebasing: bytes[start..<newline]), time: time, sourceLine: sourceLine, assembler, resolution)
                start = newline + 1
            }
            guard start < bytes.count || (!joining && data.isEmpty) else { return }
            let rest = UnsafeBufferPointer(rebasing: bytes[start...])
            if joining {
                if pending.isEmpty { pendingTime = time; pendingLine = sourceLine }
                // A line is kept to its first `LineSplitter.maximumLength` bytes, however many entries it spans.
                pending.append(contentsOf: rest.prefix(max(LineSplitter.maximumLength - pending.count, 0)))
            } else {
                deliver(rest, time: time, sourceLine: sourceLine, assembler, resolution)
            }
        }
    }

    private mutating func emit(_ piece: UnsafeBufferPointer<UInt8>, time: Double?, sourceLine: Int, _ assembler: LineAssembler, _ resolution: Double?) {
        if pending.isEmpty {
            deliver(piece, time: time, sourceLine: sourceLine, assembler, resolution)
        } else {
            pending.append(contentsOf: piece.prefix(max(LineSplitter.maximumLength - pending.count, 0)))
            let (line, time) = (pending, pendingTime ?? time)
            line.withUnsafeBufferPointer { deliver($0, time: time, sourceLine: pendingLine, assembler, resolution) }
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// Hands one whole line on, read for a stamp of its own.
    private mutating func deliver(_ line: UnsafeBufferPointer<UInt8>, time: Double?, sourceLine: Int, _ assembler: LineAssembler, _ resolution: Double?) {
        let read = stamps.read(line, time: time, resolution: resolution)
        assembler.emit(read.line, time: read.time, resolution: read.resolution, sourceLine: sourceLine)
    }

    /// Hands on a last line that never got its newline.
    mutating func finish(_ assembler: LineAssembler, resolution: Double?) {
        guard !pending.isEmpty else { return }
        let (line, time) = (pending, pendingTime)
        line.withUnsafeBufferPointer { deliver($0, time: time, sourceLine: pendingLine, assembler, resolution) }
        pending.removeAll()
    }
}

/// Reads Woodpecker step-log JSON (an array, or JSON lines from the file store) and Drone 0.x / Woodpecker 0.x
/// log arrays.
final class JSONEntryLogDecoder: LogDecoder {
    var nextLine: Int { scanner.line }
    private(set) var ignored = IgnoredValues()

    private let assembler: LineAssembler
    private let format: LogFormat
    private var scanner = JSONEntryScanner()
    private var joiner = EntryLineJoiner()
    var timeBase: TimeBase? { joiner.stamps.mode == .own ? .absolute : nil }
    private var clock = ClockNormalizer()
    private var lastStep: String?

    init(assembler: LineAssembler, format: LogFormat) {
        self.assembler = assembler
        self.format = format
    }

    func feed(_ chunk: UnsafeRawBufferPointer) throws {
        try scanner.feed(chunk) { object, line in try entry(object, line: line) }
    }

    func finish() throws {
        try scanner.finish()
        joiner.finish(assembler, resolution: 1)
    }

    private func entry(_ object: UnsafeBufferPointer<UInt8>, line: Int) throws {
        var data: [UInt8]?
        var time: Double?
        var implausibleTime = false
        var position: Int?
        var step: String?
        let isDrone = format == .droneJSON
        try parseFlatJSONObject(object, line: line) { key, value in
            switch key {
            case "data" where !isDrone:
                switch value {
                case .null: data = []
                case .string(let encoded):
                    guard let decoded = Data(base64Encoded: Data(encoded), options: .ignoreUnknownCharacters) else {
                        throw LogParseError(line: line, reason: "log entry \"data\" is not valid base64")
                    }
                    data = Array(decoded)
                default: throw LogParseError(line: line, reason: "log entry \"data\" must be a base64 string")
                }
            case "out" where isDrone:
                guard let text = value.bytes else { throw LogParseError(line: line, reason: "log entry \"out\" must be a string") }
                data = text
            case "time":
                guard case .number(let seconds) = value else { throw LogParseError(line: line, reason: "log entry \"time\" must be a number") }
                // Seconds since the step started: a step of more than 115 days is no step's, and the entry keeps the
                // time of the one before rather than carry the number into every sum.
                time = plausibleEntryTime(seconds)
                implausibleTime = time == nil
                if implausibleTime { ignored.times += 1 }
            case "line" where !isDrone, "pos" where isDrone:
                position = value.int
            case "step_id" where !isDrone, "proc" where isDrone:
                switch value {
                case .number(let number): step = String(number)
                case .string(let name): step = String(decoding: name, as: UTF8.self)
                default: break
                }
            default:
                break
            }
        }
        guard let data else {
            throw LogParseError(line: line, reason: "log entry has no \(isDrone ? "\"out\"" : "\"data\"") field")
        }
        // Drone omits `time` when it is 0; Woodpecker always writes it.
        if isDrone, time == nil, !implausibleTime { time = 0 }
        if step != lastStep {
            if lastStep != nil { clock.startStep() }
            lastStep = step
        }
        let stamped = time.map { clock.normalize(ParsedStamp(seconds: $0, prefixLength: 0, resolution: 1, stepLine: position ?? 0), base: .relative) }
        joiner.add(data, time: stamped, sourceLine: line, to: assembler, resolution: 1)
    }
}

/// Reads an SQL dump of Woodpecker's `log_entries` table: `INSERT INTO [schema.]log_entries VALUES (id, step_id,
/// time, line, data, created, type);`, with `data` as a PostgreSQL hex bytea (`'\x5374…'`) or a plain string.
final class SQLDumpLogDecoder: LogDecoder {
    var nextLine: Int { sourceLine + 1 }
    var ignored: IgnoredValues { IgnoredValues(times: implausibleTimes, cutLines: splitter.cutLines) }
    private var implausibleTimes = 0

    private let assembler: LineAssembler
    private var splitter = LineSplitter()
    private var joiner = EntryLineJoiner()
    var timeBase: TimeBase? { joiner.stamps.mode == .own ? .absolute : nil }
    private var clock = ClockNormalizer()
    private var lastStep: String?
    private var sourceLine = 0
    private var failure: LogParseError?

    init(assembler: LineAssembler) { self.assembler = assembler }

    func feed(_ chunk: UnsafeRawBufferPointer) throws {
        splitter.feed(chunk, handle)
        if let failure { throw failure }
    }

    func finish() throws {
        splitter.finish(handle)
        if let failure { throw failure }
        joiner.finish(assembler, resolution: 1)
    }

    private func handle(_ bytes: UnsafeBufferPointer<UInt8>) {
        sourceLine += 1
        guard failure == nil else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("INSERT INTO"), let values = text.range(of: "log_entries VALUES (") else { return }
        let fields = sqlTuple(text[values.upperBound...])
        guard fields.count == 7, let rawTime = Double(fields[2]), let position = Int(fields[3]) else {
            failure = LogParseError(line: sourceLine, reason: "log_entries row has \(fields.count) values, expected (id, step_id, time, line, data, created, type)")
            return
        }
        let step = fields[1]
        if step != lastStep {
            if lastStep != nil { clock.startStep() }
            lastStep = step
        }
        if plausibleEntryTime(rawTime) == nil { implausibleTimes += 1 }
        let stamped = plausibleEntryTime(rawTime).map { clock.normalize(ParsedStamp(seconds: $0, prefixLength: 0, resolution: 1, stepLine: position), base: .relative) }
        joiner.add(byteaValue(fields[4]), time: stamped, sourceLine: sourceLine, to: assembler, resolution: 1)
    }

    /// The values of an SQL tuple up to its closing parenthesis; quoted strings lose their quotes.
    private func sqlTuple(_ text: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "'" {
                    // '' is an escaped quote inside a string.
                    if let next = iterator.next() {
                        if next == "'" { current.append("'"); continue }
                        quoted = false
                        if next == "," { fields.append(current); current = ""; continue }
                        if next == ")" { fields.append(current); return fields }
                        current.append(next)
                    } else { quoted = false }
                } else { current.append(character) }
                continue
            }
            switch character {
            case "'":
                quoted = true
                current = ""
            case ",": fields.append(current.trimmingCharacters(in: .whitespaces)); current = ""
            case ")": fields.append(current.trimmingCharacters(in: .whitespaces)); return fields
            default: current.append(character)
            }
        }
        return fields + [current]
    }

    /// The bytes of a bytea literal: `\x` hex, or the text itself.
    private func byteaValue(_ field: String) -> [UInt8] {
        let utf8 = Array(field.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x") || utf8[1] == UInt8(ascii: "X") else { return utf8 }
        var bytes: [UInt8] = []
        var index = 2
        while index + 1 < utf8.count, let high = hexValue(utf8[index]), let low = hexValue(utf8[index + 1]) {
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}

/// An entry's `time` (seconds since its step started) if a step could have run that long (115 days); a larger,
/// negative or non-finite one is dropped and the line keeps the time of the line before.
func plausibleEntryTime(_ seconds: Double) -> Double? {
    seconds.isFinite && seconds >= 0 && seconds <= 1e7 ? seconds : nil
}
