import Foundation
import Yams

/// A phase of a run, delimited by the first line matching `start` and the next line after it matching `end`.
public struct PhaseDefinition: Sendable, Equatable {
    public var name: String
    public var start: Marker
    public var end: Marker

    public init(name: String, start: Marker, end: Marker) {
        self.name = name
        self.start = start
        self.end = end
    }
}

/// What buildtime looks for in a pipeline's output. The defaults describe the pipeline of the product brief; a
/// `.buildtime.yml` replaces them for another pipeline.
public struct Configuration: Sendable, Equatable {
    public var phases: [PhaseDefinition]

    public init(phases: [PhaseDefinition]) {
        self.phases = phases
    }

    /// The pipeline of the product brief: three parallel image builds, then the deploy.
    public static let `default` = Configuration(phases: [
        PhaseDefinition(name: "build", start: .literal("Building Docker images in parallel..."), end: .literal("✅ All images built and tagged")),
        PhaseDefinition(name: "deploy", start: .literal("✅ All images built and tagged"), end: .literal("✅ All containers deployed successfully")),
    ])

    /// The file looked for in the working directory when no `--config` is given.
    public static let defaultFileName = ".buildtime.yml"

    /// Reads a configuration from YAML text; `source` names it in errors.
    public static func parse(yaml: String, source: String) throws -> Configuration {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(source: source, line: error.line, reason: error.reason)
        }
        guard let node else { return .default }
        guard let root = node.mapping else { throw ConfigurationError(source: source, line: node.line, reason: "expected a mapping of settings at the top level") }
        var configuration = Configuration.default
        for (key, value) in root {
            switch key.string {
            case "phases":
                configuration.phases = try parsePhases(value, source: source)
            default:
                throw ConfigurationError(source: source, line: key.line, reason: "unknown setting '\(key.string ?? "?")' (known: phases)")
            }
        }
        return configuration
    }

    /// Reads the configuration file at `path`.
    public static func load(path: String) throws -> Configuration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(source: path, line: nil, reason: "cannot read: \(error.localizedDescription)")
        }
        return try parse(yaml: text, source: path)
    }

    private static func parsePhases(_ node: Node, source: String) throws -> [PhaseDefinition] {
        guard let list = node.sequence else { throw ConfigurationError(source: source, line: node.line, reason: "'phases' must be a list") }
        var phases: [PhaseDefinition] = []
        for item in list {
            guard let fields = item.mapping else {
                throw ConfigurationError(source: source, line: item.line, reason: "each phase needs 'name', 'start' and 'end'")
            }
            var name: String?, start: Marker?, end: Marker?
            for (key, value) in fields {
                switch key.string {
                case "name":
                    guard let text = value.string, !text.isEmpty else { throw ConfigurationError(source: source, line: value.line, reason: "a phase name must be non-empty text") }
                    name = text
                case "start": start = try parseMarker(value, source: source)
                case "end": end = try parseMarker(value, source: source)
                default:
                    throw ConfigurationError(source: source, line: key.line, reason: "unknown phase setting '\(key.string ?? "?")' (known: name, start, end)")
                }
            }
            guard let name, let start, let end else {
                throw ConfigurationError(source: source, line: item.line, reason: "each phase needs 'name', 'start' and 'end'")
            }
            guard !phases.contains(where: { $0.name == name }) else {
                throw ConfigurationError(source: source, line: item.line, reason: "phase '\(name)' is defined twice")
            }
            phases.append(PhaseDefinition(name: name, start: start, end: end))
        }
        return phases
    }

    /// A marker is text (matched as a literal piece of a line) or `{regex: PATTERN}`.
    private static func parseMarker(_ node: Node, source: String) throws -> Marker {
        if let text = node.string, node.scalar != nil {
            guard !text.isEmpty else { throw ConfigurationError(source: source, line: node.line, reason: "a marker must not be empty") }
            return .literal(text)
        }
        if let fields = node.mapping, fields.count == 1, let (key, value) = fields.first, let pattern = value.string {
            switch key.string {
            case "regex":
                do { _ = try NSRegularExpression(pattern: pattern) } catch {
                    throw ConfigurationError(source: source, line: value.line, reason: "invalid regular expression '\(pattern)'")
                }
                return .regex(pattern)
            case "literal" where !pattern.isEmpty:
                return .literal(pattern)
            default: break
            }
        }
        throw ConfigurationError(source: source, line: node.line, reason: "a marker is text, {literal: TEXT} or {regex: PATTERN}")
    }
}

/// A configuration file that cannot be used, and where.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var reason: String

    public var description: String {
        line.map { "\(source):\($0): \(reason)" } ?? "\(source): \(reason)"
    }
}

private extension Node {
    var line: Int? { mark.map { $0.line } }
}

private extension YamlError {
    var line: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    var reason: String {
        switch self {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): "invalid YAML: \(problem)"
        default: "invalid YAML: \(self)"
        }
    }
}
