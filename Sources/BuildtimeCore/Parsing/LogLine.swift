#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of a log as the readers hand it on: its text without timestamp prefix, colour codes or carriage
/// returns, and the time it was written.
public struct LogLine {
    /// The cleaned text; valid only while the line is being consumed.
    public var text: UnsafeBufferPointer<UInt8>
    /// Seconds on the log's time base: the line's own stamp, else that of the last stamped line; nil before any.
    public var time: Double?
    /// 1-based number of the line in the log's text.
    public var number: Int
    /// 1-based line of the input file it came from (for JSON, the entry's first line).
    public var sourceLine: Int

    /// The text as a Swift string, invalid UTF-8 replaced.
    public var string: String { String(decoding: text, as: UTF8.self) }
}

/// Receives the lines of a log, in order.
public protocol LogLineConsumer: AnyObject {
    func consume(_ line: LogLine)
}

/// Turns raw lines into `LogLine`s: numbers them, carries time forward, strips `\r` redraws and ANSI escapes.
final class LineAssembler {
    private let consumer: LogLineConsumer
    private var scratch: [UInt8] = []
    private(set) var count = 0
    private(set) var lastTime: Double?
    /// Coarsest timestamp granularity seen.
    private(set) var resolution: Double?

    init(consumer: LogLineConsumer) {
        self.consumer = consumer
        scratch.reserveCapacity(4096)
    }

    /// Hands on one raw line (without its `\n`), stamped with `time` if it has one.
    func emit(_ raw: UnsafeBufferPointer<UInt8>, time: Double?, resolution: Double? = nil, sourceLine: Int) {
        count += 1
        if let time {
            lastTime = time
            if let resolution, resolution > (self.resolution ?? 0) { self.resolution = resolution }
        }
        let text = clean(raw)
        if let text {
            consumer.consume(LogLine(text: text, time: lastTime, number: count, sourceLine: sourceLine))
        } else {
            scratch.withUnsafeBufferPointer { cleaned in
                consumer.consume(LogLine(text: cleaned, time: lastTime, number: count, sourceLine: sourceLine))
            }
        }
    }

    /// The line itself when nothing needs removing, else nil with the cleaned text in `scratch`.
    private func clean(_ raw: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        var line = raw
        while let last = line.last, last == UInt8(ascii: "\r") { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
        guard let base = line.baseAddress, !line.isEmpty else { return line }
        // A terminal shows only what was written after the last carriage return.
        if memchr(base, Int32(UInt8(ascii: "\r")), line.count) != nil, let last = line.lastIndex(of: UInt8(ascii: "\r")) {
            line = UnsafeBufferPointer(rebasing: line[(last + 1)...])
        }
        guard let lineBase = line.baseAddress, memchr(lineBase, 0x1B, line.count) != nil else { return line }
        stripEscapes(line)
        return nil
    }

    /// Copies `line` into `scratch` without ANSI/VT100 escape sequences (CSI, OSC and two-byte escapes).
    private func stripEscapes(_ line: UnsafeBufferPointer<UInt8>) {
        scratch.removeAll(keepingCapacity: true)
        var index = 0
        while index < line.count {
            let byte = line[index]
            guard byte == 0x1B else {
                scratch.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < line.count else { break }
            switch line[index] {
            case UInt8(ascii: "["):  // CSI: parameters and intermediates, then one final byte 0x40–0x7E
                index += 1
                while index < line.count, !(0x40...0x7E).contains(line[index]) { index += 1 }
                index += 1
            case UInt8(ascii: "]"):  // OSC: up to BEL or ESC \
                index += 1
                while index < line.count, line[index] != 0x07, line[index] != 0x1B { index += 1 }
                if index < line.count, line[index] == 0x1B { index += 1 }
                index += 1
            default:
                index += 1
            }
        }
    }
}
