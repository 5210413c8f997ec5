import Foundation

/// Human forms of durations and times, as the terminal renderers show them.
public enum DurationFormat {
    /// `0.4s`, `12.3s`, `1m05s`, `1h02m`; `—` when unmeasured.
    public static func string(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "—" }
        let sign = seconds < 0 ? "-" : ""
        let value = abs(seconds)
        if value < 60 { return sign + String(format: "%.1fs", value) }
        // No build takes a year: a larger value came from a broken log, and would not fit an Int either.
        guard value < 366 * 86400 else { return seconds < 0 ? "< -1 year" : "> 1 year" }
        let whole = Int(value.rounded())
        if whole < 3600 { return sign + String(format: "%dm%02ds", whole / 60, whole % 60) }
        return sign + String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }

    /// `+12.3s`, `-1m05s`: a change.
    public static func signed(_ seconds: Double) -> String {
        (seconds >= 0 ? "+" : "") + string(seconds)
    }

    /// `+57%`, `-12%`.
    public static func percent(_ fraction: Double) -> String {
        String(format: "%+.0f%%", fraction * 100)
    }

    /// `2026-11-29 13:07Z`, in UTC.
    public static func timestamp(_ date: Date?) -> String {
        guard let date else { return "—" }
        return shortFormatter.string(from: date)
    }

    /// `11-24 10:03` (UTC, no year): for tables that must stay narrow.
    public static func shortTimestamp(_ date: Date?) -> String {
        guard let date else { return "—" }
        return compactFormatter.string(from: date)
    }

    private static let compactFormatter = utcFormatter("MM-dd HH:mm")

    /// ISO-8601 with fractional seconds, in UTC, for machine-readable output.
    public static func iso8601(_ date: Date) -> String {
        iso8601Digits(date) ?? isoFormatter.string(from: date)
    }

    /// What `isoFormatter` writes (milliseconds rounded to the nearest), written from the date's numbers: a listing
    /// writes a few per run, and ICU's formatting was 2% of its profile. Nil before 1970 (where the formatter rounds
    /// the other way, and turns to the Julian calendar before 1583) and after 9999, which are left to the formatter.
    static func iso8601Digits(_ date: Date) -> String? {
        let scaled = (date.timeIntervalSince1970 * 1000).rounded()
        guard scaled >= 0, scaled < 253_402_300_800_000 else { return nil }
        let (days, millisecond) = Int(scaled).quotientAndRemainder(dividingBy: 86_400_000)
        // The civil date of a day count (Howard Hinnant's `civil_from_days`, for days since 1970-01-01 ≥ 0).
        let shifted = days + 719_468
        let era = shifted / 146_097, dayOfEra = shifted % 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return String(unsafeUninitializedCapacity: 24) { bytes in
            func put(_ value: Int, at end: Int, digits: Int) {
                var value = value
                for index in stride(from: end - 1, through: end - digits, by: -1) {
                    bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, at: 4, digits: 4)
            put(month, at: 7, digits: 2)
            put(day, at: 10, digits: 2)
            put(millisecond / 3_600_000, at: 13, digits: 2)
            put(millisecond / 60_000 % 60, at: 16, digits: 2)
            put(millisecond / 1000 % 60, at: 19, digits: 2)
            put(millisecond % 1000, at: 23, digits: 3)
            (bytes[4], bytes[7], bytes[10]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "T"))
            (bytes[13], bytes[16], bytes[19], bytes[23]) = (UInt8(ascii: ":"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "Z"))
            return 24
        }
    }

    private static let shortFormatter = utcFormatter("yyyy-MM-dd HH:mm'Z'")

    /// A formatter of UTC times in `format`, whatever the machine's locale and zone.
    private static func utcFormatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter
    }

    nonisolated(unsafe) private static let isoFormatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    /// Parses a date given on the command line: ISO-8601 (with or without time and zone) or unix seconds.
    public static func parseDate(_ text: String) -> Date? {
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime], [.withFullDate]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
