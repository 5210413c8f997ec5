/// Why a log could not be read, and where.
public struct LogParseError: Error, Equatable, CustomStringConvertible {
    /// 1-based line of the input where the problem is.
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(line): \(reason)" }
}
