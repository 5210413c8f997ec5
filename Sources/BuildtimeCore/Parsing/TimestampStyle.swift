#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A per-line timestamp prefix written by a CI system or a helper such as moreutils `ts`.
public enum TimestampStyle: String, Sendable, CaseIterable, Codable {
    /// `2023-03-03T23:11:37.3435938Z ` (GitHub Actions; any ISO-8601 date-time with an optional zone).
    case iso8601 = "iso8601"
    /// `[07:49:59.839] ` or `[07:49:59] `.
    case bracketedClock = "bracketed-clock"
    /// `14:03:07 ` or `14:03:07.123456 ` (moreutils `ts -s`, `ts '%H:%M:%.S'`).
    case clock
    /// `Oct 05 14:03:07 ` (moreutils `ts` default).
    case syslog
    /// `[step:L12:3s] ` (`woodpecker-cli exec`).
    case woodpeckerExec = "woodpecker-exec"

    /// What the times of this style are measured from.
    public var base: TimeBase {
        switch self {
        case .iso8601: .absolute
        case .bracketedClock, .clock, .syslog: .wallClock
        case .woodpeckerExec: .relative
        }
    }
}

/// What a log's times count from.
public enum TimeBase: String, Sendable, Codable {
    /// Unix seconds.
    case absolute
    /// Seconds of a wall clock whose date is unknown.
    case wallClock = "wall-clock"
    /// Seconds since the step started.
    case relative
}

/// A timestamp read from the start of a line.
struct ParsedStamp {
    /// Seconds on the style's time base.
    var seconds: Double
    /// Bytes of prefix to drop, including the separating space.
    var prefixLength: Int
    /// Granularity of this stamp in seconds.
    var resolution: Double
    /// For `woodpeckerExec`: the line number within the step, to notice a new step.
    var stepLine: Int = 0
}

extension TimestampStyle {
    /// Reads this style's prefix at the start of `line`, or nil if the line does not start with one.
    func parse(_ line: UnsafeBufferPointer<UInt8>) -> ParsedStamp? {
        var scanner = ByteScanner(line)
        switch self {
        case .iso8601:
            guard let base = Self.isoHead(&scanner) else { return nil }
            return Self.isoTail(&scanner, base: base)
        case .bracketedClock:
            guard scanner.skip(UInt8(ascii: "[")), let clock = scanner.clock(), scanner.skip(UInt8(ascii: "]")), scanner.skipSeparator()
            else { return nil }
            return ParsedStamp(seconds: clock.seconds, prefixLength: scanner.position, resolution: clock.resolution)
        case .clock:
            guard let clock = scanner.clock(), scanner.skipSeparator() else { return nil }
            return ParsedStamp(seconds: clock.seconds, prefixLength: scanner.position, resolution: clock.resolution)
        case .syslog:
            guard let month = scanner.monthName(), scanner.skip(UInt8(ascii: " ")) else { return nil }
            _ = scanner.skip(UInt8(ascii: " "))  // `Oct  5` pads with a space
            guard let day = scanner.digits(2) ?? scanner.digits(1), (1...31).contains(day), scanner.skip(UInt8(ascii: " ")),
                  let clock = scanner.clock(), scanner.skipSeparator()
            else { return nil }
            let dayOfYear = daysFromCivil(year: 2001, month: month, day: day) - daysFromCivil(year: 2001, month: 1, day: 1)
            return ParsedStamp(seconds: Double(dayOfYear * 86400) + clock.seconds, prefixLength: scanner.position, resolution: clock.resolution)
        case .woodpeckerExec:
            guard scanner.skip(UInt8(ascii: "[")), scanner.skipName(), scanner.skip(UInt8(ascii: ":")), scanner.skip(UInt8(ascii: "L")),
                  let stepLine = scanner.number(), scanner.skip(UInt8(ascii: ":")), let seconds = scanner.number(),
                  scanner.skip(UInt8(ascii: "s")), scanner.skip(UInt8(ascii: "]"))
            else { return nil }
            _ = scanner.skip(UInt8(ascii: " "))
            return ParsedStamp(seconds: Double(seconds), prefixLength: scanner.position, resolution: 1, stepLine: stepLine)
        }
    }
}

/// The date and time of the last ISO-8601 stamp read: lines written within the same second share their first 19 bytes,
/// so only the fraction and the zone need reading again.
struct ISOStampCache {
    fileprivate var key: [UInt8] = []
    fileprivate var base = 0.0
}

extension TimestampStyle {
    /// `parse(_:)`, faster on a run of ISO-8601 stamps.
    func parse(_ line: UnsafeBufferPointer<UInt8>, cache: inout ISOStampCache) -> ParsedStamp? {
        guard self == .iso8601, line.count >= 19, let start = line.baseAddress else { return parse(line) }
        var scanner = ByteScanner(line)
        if cache.key.count == 19, memcmp(start, cache.key, 19) == 0 {
            scanner.skip(count: 19)
            return Self.isoTail(&scanner, base: cache.base)
        }
        guard let base = Self.isoHead(&scanner), scanner.position == 19 else { return parse(line) }
        cache.key = Array(line[0..<19])
        cache.base = base
        return Self.isoTail(&scanner, base: base)
    }

    /// `YYYY-MM-DDTHH:MM:SS` (or a space for the `T`), as unix seconds before any fraction or zone.
    fileprivate static func isoHead(_ scanner: inout ByteScanner) -> Double? {
        guard let year = scanner.digits(4), scanner.skip(UInt8(ascii: "-")), let month = scanner.digits(2),
              scanner.skip(UInt8(ascii: "-")), let day = scanner.digits(2),
              scanner.skip(UInt8(ascii: "T")) || scanner.skip(UInt8(ascii: " ")),
              let hours = scanner.digits(2), scanner.skip(UInt8(ascii: ":")), let minutes = scanner.digits(2),
              scanner.skip(UInt8(ascii: ":")), let seconds = scanner.digits(2),
              (1...12).contains(month), (1...31).contains(day), hours < 24, minutes < 60, seconds < 61
        else { return nil }
        return Double(daysFromCivil(year: year, month: month, day: day) * 86400 + hours * 3600 + minutes * 60 + seconds)
    }

    /// The optional `.fraction`, the zone (`Z`, `±HH:MM`, `±HHMM`, or none) and the separator after `isoHead`.
    fileprivate static func isoTail(_ scanner: inout ByteScanner, base: Double) -> ParsedStamp? {
        var value = base
        var resolution = 1.0
        if scanner.skip(UInt8(ascii: ".")) || scanner.skip(UInt8(ascii: ",")) {
            var scale = 1.0, count = 0
            while let byte = scanner.peek, byte &- UInt8(ascii: "0") < 10 {
                if count < 9 {
                    scale /= 10
                    value += Double(byte &- UInt8(ascii: "0")) * scale
                    count += 1
                }
                scanner.advance()
            }
            guard count > 0 else { return nil }
            resolution = max(scale, 0.001)
        }
        if scanner.skip(UInt8(ascii: "Z")) {
        } else if let sign = scanner.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            scanner.advance()
            guard let hours = scanner.digits(2) else { return nil }
            _ = scanner.skip(UInt8(ascii: ":"))
            guard let minutes = scanner.digits(2) else { return nil }
            value -= Double((hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "+") ? 1 : -1))
        }
        guard scanner.skipSeparator() else { return nil }
        return ParsedStamp(seconds: value, prefixLength: scanner.position, resolution: resolution)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146097 + dayOfEra - 719468
}

/// A forward-only reader of ASCII fields in a byte buffer.
struct ByteScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func advance() { position += 1 }

    mutating func skip(count: Int) { position = min(position + count, bytes.count) }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        position += 1
        return true
    }

    /// A separator after a stamp: one space or tab, or the end of the line.
    mutating func skipSeparator() -> Bool {
        guard let byte = peek else { return true }
        guard byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") else { return false }
        position += 1
        return true
    }

    /// Exactly `count` decimal digits.
    mutating func digits(_ count: Int) -> Int? {
        guard position + count <= bytes.count else { return nil }
        var value = 0
        for index in position..<(position + count) {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        // A longer run of digits is not this field.
        if position + count < bytes.count, bytes[position + count] &- UInt8(ascii: "0") < 10 { return nil }
        position += count
        return value
    }

    /// One or more decimal digits (at most 9).
    mutating func number() -> Int? {
        var value = 0, count = 0
        while let byte = peek, byte &- UInt8(ascii: "0") < 10, count < 9 {
            value = value * 10 + Int(byte &- UInt8(ascii: "0"))
            position += 1
            count += 1
        }
        return count > 0 ? value : nil
    }

    /// `HH:MM:SS` with an optional `.fraction`.
    mutating func clock() -> (seconds: Double, resolution: Double)? {
        let start = position
        guard let hours = digits(2), skip(UInt8(ascii: ":")), let minutes = digits(2), skip(UInt8(ascii: ":")),
              let seconds = digits(2), hours < 24, minutes < 60, seconds < 61
        else { position = start; return nil }
        var value = Double(hours * 3600 + minutes * 60 + seconds)
        var resolution = 1.0
        if skip(UInt8(ascii: ".")) || skip(UInt8(ascii: ",")) {
            var scale = 1.0
            var fraction = 0.0
            var count = 0
            while let byte = peek, byte &- UInt8(ascii: "0") < 10 {
                if count < 9 {
                    scale /= 10
                    fraction += Double(byte &- UInt8(ascii: "0")) * scale
                    count += 1
                }
                position += 1
            }
            guard count > 0 else { position = start; return nil }
            value += fraction
            resolution = max(scale, 0.001)
        }
        return (value, resolution)
    }

    /// A three-letter English month name, as 1...12.
    mutating func monthName() -> Int? {
        guard position + 3 <= bytes.count else { return nil }
        let a = bytes[position] | 0x20, b = bytes[position + 1] | 0x20, c = bytes[position + 2] | 0x20
        let names: [(UInt8, UInt8, UInt8)] = [
            (0x6a, 0x61, 0x6e), (0x66, 0x65, 0x62), (0x6d, 0x61, 0x72), (0x61, 0x70, 0x72), (0x6d, 0x61, 0x79), (0x6a, 0x75, 0x6e),
            (0x6a, 0x75, 0x6c), (0x61, 0x75, 0x67), (0x73, 0x65, 0x70), (0x6f, 0x63, 0x74), (0x6e, 0x6f, 0x76), (0x64, 0x65, 0x63),
        ]
        guard let index = names.firstIndex(where: { $0 == (a, b, c) }) else { return nil }
        position += 3
        return index + 1
    }

    /// A step name: one or more bytes up to `:`, without `]`.
    mutating func skipName() -> Bool {
        let start = position
        while let byte = peek, byte != UInt8(ascii: ":"), byte != UInt8(ascii: "]") { position += 1 }
        return position > start
    }
}
