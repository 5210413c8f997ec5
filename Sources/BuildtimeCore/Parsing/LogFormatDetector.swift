import CByteSearch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Recognises a log's format, and a text log's timestamp style, from its first bytes.
enum LogFormatDetector {
    /// How many leading lines of a text log are looked at to pick its timestamp style.
    static let sampleLines = 200

    static func format(of prefix: UnsafeBufferPointer<UInt8>) -> LogFormat {
        guard let first = prefix.firstIndex(where: { !isSpace($0) }) else { return .text }
        if prefix[first] == UInt8(ascii: "[") || prefix[first] == UInt8(ascii: "{") {
            if let kind = jsonKind(prefix) {
                switch kind {
                case .drone: return .droneJSON
                case .woodpecker: return prefix[first] == UInt8(ascii: "[") ? .woodpeckerJSON : .woodpeckerJSONLines
                }
            }
        }
        var isSQLDump = false
        forEachLine(prefix, limit: sampleLines) { line in
            if line.starts(with: "INSERT INTO".utf8), contains(line, "log_entries VALUES (") { isSQLDump = true }
        }
        return isSQLDump ? .woodpeckerSQL : .text
    }

    private enum JSONKind { case woodpecker, drone }

    /// The kind of log entry the first JSON object is, judged by its keys; nil for other JSON and for text.
    private static func jsonKind(_ prefix: UnsafeBufferPointer<UInt8>) -> JSONKind? {
        var scanner = JSONEntryScanner()
        var keys: Set<String>?
        do {
            try scanner.feed(UnsafeRawBufferPointer(prefix)) { object, line in
                guard keys == nil else { return }
                var found = Set<String>()
                try parseFlatJSONObject(object, line: line) { key, _ in found.insert(key) }
                keys = found
            }
        } catch {
            // Text that happens to start with a bracket, or an entry cut by the end of the sample.
        }
        if let keys {
            if keys.contains("data") && (keys.contains("step_id") || keys.contains("line") || keys.contains("time")) { return .woodpecker }
            if keys.contains("out") && (keys.contains("proc") || keys.contains("pos")) { return .drone }
            return nil
        }
        // The first entry is longer than the sample: judge by the keys that appear in it.
        let start = prefix.firstIndex(of: UInt8(ascii: "{")).map { UnsafeBufferPointer(rebasing: prefix[$0...]) } ?? prefix
        if contains(start, "\"step_id\"") && contains(start, "\"data\"") { return .woodpecker }
        if contains(start, "\"proc\"") && contains(start, "\"out\"") { return .drone }
        return nil
    }

    /// The timestamp style most lines of the sample start with, if enough of them do.
    static func timestampStyle(of prefix: UnsafeBufferPointer<UInt8>) -> TimestampStyle? {
        var counts = [TimestampStyle: Int]()
        var nonEmpty = 0
        forEachLine(prefix, limit: sampleLines) { line in
            guard !line.isEmpty else { return }
            nonEmpty += 1
            for style in TimestampStyle.allCases where style.parse(line) != nil {
                counts[style, default: 0] += 1
                break
            }
        }
        // Some tools mix in unstamped lines (woodpecker-cli exec interleaves its own debug output).
        guard let (style, count) = counts.max(by: { $0.value < $1.value }), count * 5 >= nonEmpty else { return nil }
        return style
    }

    /// What a complete JSON document is (`an object with keys a, b`, `an array of 3 numbers`), or nil when `bytes`
    /// are not one JSON document: text that starts with a bracket (`[2024-05-01 10:00:00] ...`) is no JSON.
    static func jsonDocumentShape(_ bytes: [UInt8]) -> String? {
        guard let first = bytes.first(where: { !isSpace($0) }), first == UInt8(ascii: "[") || first == UInt8(ascii: "{"),
              let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else { return nil }
        if let object = value as? [String: Any] {
            let keys = object.keys.sorted()
            if keys.isEmpty { return "an empty object" }
            return "an object with key\(keys.count == 1 ? "" : "s") " + keys.prefix(5).joined(separator: ", ") + (keys.count > 5 ? ", ..." : "")
        }
        if let array = value as? [Any] {
            if array.isEmpty { return "an empty array" }
            let objects = array.filter { $0 is [String: Any] }.count
            let noun = objects == array.count ? "object" : "value"
            return "an array of \(array.count) \(noun)\(array.count == 1 ? "" : "s")"
                + (objects > 0 ? " without Woodpecker's or Drone's keys" : "")
        }
        return nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0xEF || byte == 0xBB || byte == 0xBF
    }

    private static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        var seen = 0
        while start < bytes.count, seen < limit {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            var line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if line.last == UInt8(ascii: "\r") { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
            body(line)
            seen += 1
            start = end + 1
        }
    }

    private static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: String) -> Bool {
        let needle = Array(needle.utf8)
        guard haystack.count >= needle.count, let base = haystack.baseAddress else { return false }
        return needle.withUnsafeBytes { bt_memmem(base, haystack.count, $0.baseAddress, needle.count) != nil }
    }
}
