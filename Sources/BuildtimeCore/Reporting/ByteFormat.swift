import Foundation

/// Sizes as `docker system df` prints them: decimal units, `9.8GB`.
public enum ByteFormat {
    public static func string(_ value: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = value, unit = 0
        while abs(value) >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? String(format: "%.0fB", value) : String(format: "%.1f", value) + units[unit]
    }
}
