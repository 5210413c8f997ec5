import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the output of a command that is running into a run: stamps every line with the wrapper's own clock (in
/// milliseconds), reads the stamped lines exactly as `ingest` reads a timestamped log, and can keep them in a log file
/// that `ingest` reads back to the same run. Never throws once started: a log file that cannot be written becomes a
/// warning, so the command it watches is never disturbed.
public final class Recording {
    /// Which output of the command a chunk came from.
    public enum Stream: Int, Sendable {
        case output = 0
        case error = 1
    }

    private let analyzer: LogAnalyzer
    private let stream: LogStream
    private let command: [String]
    private var partial: [[UInt8]] = [[], []]
    /// Whether the partial line of each stream went past the maximum, and how many lines did.
    private var cut = [false, false]
    private var cutLines = 0
    private var stamped: [UInt8] = []
    private var logDescriptor: Int32?
    private let startedAt: Date
    /// `startedAt` in whole milliseconds since 1970, as the log's stamps count.
    private let startMilliseconds: Int64
    private let clock = ContinuousClock()
    private let startInstant: ContinuousClock.Instant
    private var stamper = TimestampFormatter()
    /// Problems that did not stop the recording (a log file that could not be written).
    public private(set) var warnings: [String] = []

    /// Starts recording `command`; `logPath` is where the stamped log goes, if anywhere.
    public init(configuration: Configuration, command: [String], logPath: String? = nil) throws {
        analyzer = try LogAnalyzer(configuration: configuration)
        stream = LogStream(format: .text, timestampStyle: .iso8601, consumer: analyzer, rejectsBinary: false)
        self.command = command
        // Whole milliseconds, as the log states it, so that reading the log back gives the same start.
        startMilliseconds = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        startedAt = Date(timeIntervalSince1970: Double(startMilliseconds) / 1000)
        startInstant = clock.now
        if let logPath {
            let descriptor = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if descriptor >= 0 { logDescriptor = descriptor } else {
                warnings.append("cannot write the log \(logPath): \(String(cString: strerror(errno)))")
            }
        }
        // Stamped with the start itself (opening the log takes time): the log's first stamp is the run's start.
        note("[buildtime] record: " + command.joined(separator: " "), at: startMilliseconds)
    }

    deinit {
        if let logDescriptor { close(logDescriptor) }
    }

    /// Takes the next bytes the command wrote on `source`, which arrived at `time` (from `now()`; default: now).
    public func receive(_ bytes: UnsafeRawBufferPointer, from source: Stream, at time: Int64? = nil) {
        let now = time ?? milliseconds()
        var start = 0
        let base = bytes.bindMemory(to: UInt8.self)
        while let newline = base[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if partial[source.rawValue].isEmpty {
                stamp(UnsafeBufferPointer(rebasing: base[start..<newline]), at: now)
            } else {
                let room = max(LineSplitter.maximumLength - partial[source.rawValue].count, 0)
                if newline - start > room, !cut[source.rawValue] { cutLines += 1 }
                cut[source.rawValue] = false
                partial[source.rawValue].append(contentsOf: base[start..<newline].prefix(room))
                let line = partial[source.rawValue]
                partial[source.rawValue].removeAll(keepingCapacity: true)
                line.withUnsafeBufferPointer { stamp($0, at: now) }
            }
            start = newline + 1
        }
        // A line is kept to its first `LineSplitter.maximumLength` bytes (the output itself passed on whole).
        let room = max(LineSplitter.maximumLength - partial[source.rawValue].count, 0)
        if base.count - start > room, !cut[source.rawValue] { cut[source.rawValue] = true; cutLines += 1 }
        partial[source.rawValue].append(contentsOf: base[start...].prefix(room))
        flush()
    }

    /// Ends the recording when the command has ended, and returns the run.
    /// `steps` are the nested steps recorded under `runKey`: the Docker builds they read from their own output are
    /// exact, so they stand for the run's builds instead of the interleaved ones in the run's log.
    public func finish(exit: CommandExit, metadata: RunMetadata = RunMetadata(), context: RunContext? = nil,
                       runKey: String? = nil, steps: [RecordedStep] = []) -> Run {
        let now = milliseconds()
        for index in partial.indices where !partial[index].isEmpty {
            let line = partial[index]
            line.withUnsafeBufferPointer { stamp($0, at: now) }
        }
        note(exit.footer(seconds: Double(now) / 1000 - startedAt.timeIntervalSince1970))
        let outcome: LogReader.Outcome
        do {
            outcome = try stream.finish()
        } catch {
            // Text logs cannot fail to parse; keep going with what the analyzer has.
            outcome = LogReader.Outcome(format: .text, timestampStyle: .iso8601, isCompressed: false, fingerprint: UUID().uuidString,
                                        lineCount: 0, timeResolution: 0.001, timeBase: .absolute)
        }
        if let logDescriptor { close(logDescriptor); self.logDescriptor = nil }
        if cutLines > 0 {
            warnings.append("\(cutLines) line\(cutLines == 1 ? " was" : "s were") longer than 1 MB: analysed to the first 1 MB, passed on whole")
        }
        var summary = analyzer.summary(reading: outcome)
        // Offsets from the run's first line, which is its start.
        let stepImages = steps.flatMap { step in step.images.map { $0.shifted(by: step.startedAt.timeIntervalSince(startedAt)) } }
        if !stepImages.isEmpty { summary.images = stepImages }
        var run = Run(
            fingerprint: outcome.fingerprint, source: "record", format: .text,
            metadata: metadata.filling(from: summary.metadata), startedAt: startedAt, status: exit.runStatus, exitCode: Int(exit.status),
            totalSeconds: summary.totalSeconds, lineCount: outcome.lineCount, timeResolution: outcome.timeResolution,
            phases: summary.phases, images: summary.images,
            classification: analyzer.classification(of: summary, changedFiles: context?.changedFiles), context: context,
            runKey: runKey, recordedAt: Date())
        run.steps = steps
        return run
    }

    /// The recording's clock, in unix milliseconds: to stamp a chunk when it arrives, before it is analysed.
    public func now() -> Int64 { milliseconds() }

    /// Wall-clock milliseconds: the start time plus the monotonic time since, so a clock change does not bend it.
    private func milliseconds() -> Int64 {
        let elapsed = clock.now - startInstant
        let (seconds, attoseconds) = elapsed.components
        return startMilliseconds + seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// A line of buildtime's own in the log (not in the command's output).
    private func note(_ text: String, at time: Int64? = nil) {
        Array(text.utf8).withUnsafeBufferPointer { stamp($0, at: time ?? milliseconds()) }
        flush()
    }

    private func stamp(_ line: UnsafeBufferPointer<UInt8>, at milliseconds: Int64) {
        stamped.append(contentsOf: stamper.prefix(milliseconds))
        stamped.append(contentsOf: line)
        stamped.append(UInt8(ascii: "\n"))
    }

    /// Hands the stamped lines to the analysis and the log file.
    private func flush() {
        guard !stamped.isEmpty else { return }
        stamped.withUnsafeBytes { bytes in
            try? stream.feed(bytes)
            if let logDescriptor, !writeAll(logDescriptor, bytes) {
                warnings.append("stopped writing the log: \(String(cString: strerror(errno)))")
                close(logDescriptor)
                self.logDescriptor = nil
            }
        }
        stamped.removeAll(keepingCapacity: true)
    }
}

/// How a command ended.
public enum CommandExit: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// The status a shell would report: the exit code, or 128 + the signal number.
    public var status: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    var runStatus: RunStatus {
        switch self {
        case .exited(0): .succeeded
        case .exited: .failed
        case .signaled: .interrupted
        }
    }

    /// The last line of a recorded log, which `ingest` reads back.
    func footer(seconds: Double) -> String {
        switch self {
        case .exited(let code): "[buildtime] exit status \(code) after \(String(format: "%.3f", seconds))s"
        case .signaled(let signal): "[buildtime] killed by signal \(signal) after \(String(format: "%.3f", seconds))s"
        }
    }

    /// Reads a footer line back.
    static func parse(footer line: String) -> CommandExit? {
        let words = line.split(separator: " ")
        guard words.count >= 4, words[0] == "[buildtime]" else { return nil }
        if words[1] == "exit", words[2] == "status", let code = Int32(words[3]) { return .exited(code) }
        if words[1] == "killed", words.count >= 5, words[3] == "signal", let signal = Int32(words[4]) { return .signaled(signal) }
        return nil
    }
}

/// Writes all of `bytes` to a file descriptor, retrying short writes and interruptions; false on failure.
public func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += written
    }
    return true
}

/// `2026-11-29T14:12:14.123Z ` for a time in unix milliseconds; remembers the date part of the last second.
struct TimestampFormatter {
    private var second: Int64 = .min
    private var text: [UInt8] = Array("1970-01-01T00:00:00.000Z ".utf8)

    mutating func prefix(_ milliseconds: Int64) -> [UInt8] {
        let (seconds, millis) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        if seconds != second {
            second = seconds
            let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
            let (year, month, day) = civilFromDays(Int(days))
            put(year, at: 0, width: 4)
            put(month, at: 5, width: 2)
            put(day, at: 8, width: 2)
            put(Int(secondOfDay / 3600), at: 11, width: 2)
            put(Int(secondOfDay % 3600 / 60), at: 14, width: 2)
            put(Int(secondOfDay % 60), at: 17, width: 2)
        }
        put(Int(millis), at: 20, width: 3)
        return text
    }

    private mutating func put(_ value: Int, at offset: Int, width: Int) {
        var value = value
        for index in stride(from: offset + width - 1, through: offset, by: -1) {
            text[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    return (era * 400 + yearOfEra + (month <= 2 ? 1 : 0), month, day)
}
