import Foundation

/// What `buildtime doctor` prints: each check with what it measured, then the hints.
public enum DoctorRenderer {
    public static func text(_ context: RunContext, hints: [Hint], color: Bool = false) -> String {
        var lines: [String] = []
        if let docker = context.docker {
            if let cache = docker.buildCache {
                lines.append("docker build cache  \(ByteFormat.string(cache.size))" + (cache.reclaimable.map { ", \(ByteFormat.string($0)) reclaimable" } ?? ""))
            }
            if let images = docker.images {
                lines.append("docker images       \(images.total.map(String.init) ?? "?") (\(images.active.map(String.init) ?? "?") in use), \(ByteFormat.string(images.size))")
            }
        } else {
            lines.append("docker              not available (docker missing, not running, or too slow to answer): Docker checks skipped")
        }
        if let snapshot = context.start {
            if let size = snapshot.diskSizeBytes, let free = snapshot.diskFreeBytes, size > 0 {
                lines.append("disk                \(ByteFormat.string(free)) free of \(ByteFormat.string(size)) (\(size > 0 ? String(format: "%.0f", min(max(free / size * 100, 0), 100)) : "?")%) on \(snapshot.diskPath ?? "/")")
            }
            if let load = snapshot.load1 {
                lines.append("load                \(String(format: "%.2f", load)) on \(snapshot.cores) cores")
            }
        }
        if hints.isEmpty {
            lines.append("\nno problems found")
        } else {
            lines.append("")
            for hint in hints {
                lines.append("\(hint.severity == .warning ? "warning" : "note"): \(FactText.title(hint)) [\(hint.kind.rawValue)]")
                lines += FactText.evidence(hint).map { "    evidence: " + SafeText.escaped($0) } + ["    fix: " + SafeText.escaped(FactText.fix(hint))]
            }
        }
        // Escaped first, coloured after: the colours are the only control characters that reach the terminal.
        let style = ReportRenderer.Style(enabled: color)
        return lines.map { line in
            let text = SafeText.escaped(line, keepingNewlines: true)
            return line.hasPrefix("warning: ") ? style.yellow(text) : text
        }.joined(separator: "\n") + "\n"
    }

    /// `{"context": {...}, "hints": [...]}`.
    public static func json(_ context: RunContext, hints: [Hint]) throws -> String {
        struct Document: Encodable {
            var context: RunContext
            var hints: [Hint]
        }
        // Never fails on a value no JSON number can hold (only a database edited by hand gives one).
        return String(decoding: try PrettyJSON.encode(Document(context: context, hints: hints)), as: UTF8.self) + "\n"
    }
}
