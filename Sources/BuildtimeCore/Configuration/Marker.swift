import CByteSearch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A line that marks where a phase starts or ends: a literal piece of text, or a regular expression.
public enum Marker: Sendable, Equatable, CustomStringConvertible {
    case literal(String)
    case regex(String)

    public var description: String {
        switch self {
        case .literal(let text): text
        case .regex(let pattern): "/\(pattern)/"
        }
    }
}

/// A marker ready to test lines; literal markers are matched on bytes, without decoding the line.
final class MarkerMatcher: @unchecked Sendable {
    private let needle: [UInt8]
    private let expression: NSRegularExpression?
    private let allowsTraceLines: Bool

    init(_ marker: Marker) throws {
        switch marker {
        case .literal(let text):
            needle = Array(text.utf8)
            expression = nil
            allowsTraceLines = text.hasPrefix("+")
        case .regex(let pattern):
            needle = []
            expression = try NSRegularExpression(pattern: pattern)
            allowsTraceLines = pattern.hasPrefix("\\+") || pattern.hasPrefix("^\\+")
        }
    }

    /// Whether `line` shows this marker. Shell trace lines (`+ echo "marker"`, as Woodpecker prints before each
    /// command) announce a command rather than its output, so they match only markers that start with `+`.
    func matches(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        if !allowsTraceLines, line.count >= 2, line[0] == UInt8(ascii: "+"), line[1] == UInt8(ascii: " ") { return false }
        if let expression {
            // A regular expression sees the line's first 16 kB: a marker is a short line, and a pattern that
            // backtracks cannot make a long line slow.
            let text = String(decoding: UnsafeBufferPointer(rebasing: line.prefix(16 << 10)), as: UTF8.self)
            return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        guard let base = line.baseAddress, line.count >= needle.count else { return false }
        return needle.withUnsafeBytes { bt_memmem(base, line.count, $0.baseAddress, needle.count) != nil }
    }
}
