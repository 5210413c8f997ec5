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
        isoFormatter.string(from: date)
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
