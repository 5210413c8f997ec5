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
    /// Regular expressions for the Dockerfile `RUN` step that installs dependencies.
    public var dependencyInstall: [String]
    /// File name patterns (`*`, `?`) of requirement files: a change to one makes a requirements run.
    public var requirementFiles: [String]
    /// File name patterns of build definitions: a change to one can invalidate the whole cache.
    public var buildFiles: [String]
    /// The promised duration bands per class: phase name (or `total`) to seconds.
    public var budgets: [RunClass: [String: ClosedRange<Double>]]
    /// When a difference from the baseline is a regression, and what a level shift needs.
    public var regressions = RegressionPolicy.default

    public init(phases: [PhaseDefinition], dependencyInstall: [String] = Self.default.dependencyInstall,
                requirementFiles: [String] = Self.default.requirementFiles, buildFiles: [String] = Self.default.buildFiles,
                budgets: [RunClass: [String: ClosedRange<Double>]] = Self.default.budgets) {
        self.phases = phases
        self.dependencyInstall = dependencyInstall
        self.requirementFiles = requirementFiles
        self.buildFiles = buildFiles
        self.budgets = budgets
    }

    private init(phases: [PhaseDefinition], dependencyInstall: [String], requirementFiles: [String], buildFiles: [String],
                 budgets: [RunClass: [String: ClosedRange<Double>]], defaults: Void) {
        self.phases = phases
        self.dependencyInstall = dependencyInstall
        self.requirementFiles = requirementFiles
        self.buildFiles = buildFiles
        self.budgets = budgets
    }

    /// The pipeline of the product brief: three parallel image builds, then the deploy, and its build document's budgets.
    public static let `default` = Configuration(
        phases: [
            PhaseDefinition(name: "build", start: .literal("Building Docker images in parallel..."), end: .literal("✅ All images built and tagged")),
            PhaseDefinition(name: "deploy", start: .literal("✅ All images built and tagged"), end: .literal("✅ All containers deployed successfully")),
        ],
        dependencyInstall: [
            // Bounded repetitions only: the time a line takes stays linear in its length (`.*` and `[^ ]*` made a
            // long RUN line of many installs quadratic).
            #"\b(uv pip|pip3?|python3? -m pip) install\b.{0,2000}?(\s-r\s?|--requirement|requirements[^ ]{0,200}?\.(txt|in)|pyproject\.toml|\.lock\b)"#,
            #"\buv (pip )?sync\b"#, #"\bpoetry install\b"#, #"\bpipenv (install|sync)\b"#,
            #"\b(npm ci|npm install|yarn install|pnpm install|bundle install|go mod download)\b"#,
        ],
        requirementFiles: ["requirements*.txt", "requirements*.in", "requirements/*.txt", "pyproject.toml", "uv.lock", "poetry.lock", "Pipfile", "Pipfile.lock"],
        buildFiles: ["Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "docker-compose*.yml", "compose*.yaml", "docker-bake.hcl", ".dockerignore"],
        budgets: [
            .cold: ["build": 180...240, "deploy": 10...15, "total": 210...270],
            .codeOnly: ["build": 30...60, "deploy": 10...15, "total": 40...75],
            .requirements: ["build": 90...150, "deploy": 10...15, "total": 105...165],
            .noChange: ["build": 5...10, "deploy": 10...15, "total": 15...25],
        ],
        defaults: ()
    )

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
            case "dependency_install":
                configuration.dependencyInstall = try parseStrings(value, name: "dependency_install", source: source)
                for pattern in configuration.dependencyInstall {
                    do { _ = try NSRegularExpression(pattern: pattern) } catch {
                        throw ConfigurationError(source: source, line: value.line, reason: "invalid regular expression '\(pattern)'")
                    }
                }
            case "requirement_files":
                configuration.requirementFiles = try parseStrings(value, name: "requirement_files", source: source)
            case "build_files":
                configuration.buildFiles = try parseStrings(value, name: "build_files", source: source)
            case "budgets":
                configuration.budgets = try parseBudgets(value, source: source)
            case "regressions":
                configuration.regressions = try parseRegressions(value, source: source)
            default:
                throw ConfigurationError(source: source, line: key.line, reason: "unknown setting '\(key.string ?? "?")' (known: \(knownSettings))")
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

    private static let knownSettings = "phases, dependency_install, requirement_files, build_files, budgets, regressions"

    /// `regressions: {window: 20, minimum_history: 5, deviations: 3, relative_margin: 0.15, absolute_floor: 5, ...}`.
    private static func parseRegressions(_ node: Node, source: String) throws -> RegressionPolicy {
        guard let fields = node.mapping else { throw ConfigurationError(source: source, line: node.line, reason: "'regressions' maps settings to numbers") }
        var policy = RegressionPolicy.default
        let integers: [String: WritableKeyPath<RegressionPolicy, Int>] = [
            "window": \.window, "minimum_history": \.minimumHistory, "shift_minimum_runs": \.shiftMinimumRuns]
        let numbers: [String: WritableKeyPath<RegressionPolicy, Double>] = [
            "deviations": \.deviations, "relative_margin": \.relativeMargin, "absolute_floor": \.absoluteFloor, "shift_significance": \.shiftSignificance]
        for (key, value) in fields {
            let name = key.string ?? "?"
            if let path = integers[name] {
                guard let number = value.string.flatMap(Int.init), number >= 1 else {
                    throw ConfigurationError(source: source, line: value.line, reason: "'\(name)' must be a whole number ≥ 1")
                }
                policy[keyPath: path] = number
            } else if let path = numbers[name] {
                guard let number = value.string.flatMap(Double.init), number >= 0, number.isFinite else {
                    throw ConfigurationError(source: source, line: value.line, reason: "'\(name)' must be a number ≥ 0")
                }
                policy[keyPath: path] = number
            } else {
                throw ConfigurationError(source: source, line: key.line, reason: "unknown regressions setting '\(name)' (known: "
                                         + (integers.keys.sorted() + numbers.keys.sorted()).joined(separator: ", ") + ")")
            }
        }
        return policy
    }

    private static func parseStrings(_ node: Node, name: String, source: String) throws -> [String] {
        guard let list = node.sequence else { throw ConfigurationError(source: source, line: node.line, reason: "'\(name)' must be a list of text") }
        return try list.map { item in
            guard let text = item.string, item.scalar != nil, !text.isEmpty else {
                throw ConfigurationError(source: source, line: item.line, reason: "'\(name)' must be a list of text")
            }
            return text
        }
    }

    /// `budgets: {cold: {build: [180, 240], total: [210, 270]}, ...}`, seconds.
    private static func parseBudgets(_ node: Node, source: String) throws -> [RunClass: [String: ClosedRange<Double>]] {
        guard let classes = node.mapping else { throw ConfigurationError(source: source, line: node.line, reason: "'budgets' maps a class to its phase bands") }
        var budgets: [RunClass: [String: ClosedRange<Double>]] = [:]
        for (key, value) in classes {
            guard let name = key.string, let runClass = RunClass(rawValue: name) else {
                throw ConfigurationError(source: source, line: key.line, reason: "unknown class '\(key.string ?? "?")' (known: \(RunClass.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let phases = value.mapping else { throw ConfigurationError(source: source, line: value.line, reason: "budget of '\(name)' maps phase names (or total) to [low, high] seconds") }
            var bands: [String: ClosedRange<Double>] = [:]
            for (phase, band) in phases {
                guard let phaseName = phase.string, let pair = band.sequence, pair.count == 2,
                      let low = pair[0].string.flatMap(Double.init), let high = pair[1].string.flatMap(Double.init), low >= 0, low <= high
                else { throw ConfigurationError(source: source, line: band.line, reason: "a budget band is [low, high] in seconds, low ≤ high") }
                bands[phaseName] = low...high
            }
            budgets[runClass] = bands
        }
        return budgets
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
