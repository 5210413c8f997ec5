import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns what the Docker build parser saw into image builds with a class each, and classifies whole runs, in the
/// product brief's order of evidence: what the build did, then what changed, then the duration against the budgets.
struct BuildClassifier {
    private let dependencyPatterns: LazyPatterns
    private let configuration: Configuration

    init(configuration: Configuration) {
        self.configuration = configuration
        dependencyPatterns = LazyPatterns(configuration.dependencyInstall)
    }

    // MARK: - Image builds

    /// The finished facts of one build, classified. `origin` is the run's first time.
    func image(from state: BuildState, origin: Double?) -> ImageBuild {
        let steps = state.order.map { vertex in
            BuildStep(
                vertex: state.builder == .buildkit && vertex.vertex >= 0 ? vertex.vertex : nil, stage: vertex.name.index != nil ? vertex.name.prefix : nil,
                index: vertex.name.index, total: vertex.name.total, instruction: vertex.name.instruction.isEmpty ? "#\(vertex.vertex)" : vertex.name.instruction,
                kind: vertex.name.kind, status: vertex.finalStatus, duration: vertex.duration,
                startOffset: difference(vertex.firstTime, origin))
        }
        var image = ImageBuild(
            name: state.name, tag: state.tag, builder: state.builder, attribution: state.doubtfulLines > 0 ? .inferred : .exact,
            ambiguousLines: state.doubtfulLines, startOffset: difference(state.firstTime, origin),
            duration: difference(state.lastTime, state.firstTime), outcome: state.outcome,
            basePulled: state.basePulled ? true : state.order.contains { $0.kind == .from } ? false : nil,
            dependencyStep: dependencyStep(in: steps), steps: steps, errorLines: Self.errorLines(of: state), exitCode: state.exitCode)
        let dependencyOutput = image.dependencyStep.map { state.order[$0].dependencyOutput } ?? []
        image.classification = classify(image, dependencyOutput: dependencyOutput)
        return image
    }

    /// The build's error lines; when the log shows no failure summary of the failing step (BuildKit before 0.9, a
    /// cut log), one made the same way from the step's last output: ` > [k/N] RUN ...:` and its lines.
    static func errorLines(of state: BuildState) -> [String] {
        guard state.outcome == .failed, !state.errorLines.contains(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("> [") }),
              let failed = state.order.last(where: { $0.status == .failed && ($0.kind == .run || $0.isUnnamed) }) else { return state.errorLines }
        let output = failed.lastOutputLines
        guard !output.isEmpty else { return state.errorLines }
        let position = failed.name.index.map { index in "\(failed.name.prefix.map { $0 + " " } ?? "")\(index)/\(failed.name.total.map(String.init) ?? "?")" }
        return state.errorLines + ["> [\(position ?? "#\(failed.vertex)")] \(failed.name.instruction):"] + output
    }

    /// The index of the step that installs dependencies: a `RUN` matching the configured patterns, else the first
    /// `RUN` after a `COPY`/`ADD` of a requirement file.
    func dependencyStep(in steps: [BuildStep]) -> Int? {
        if let index = steps.indices.first(where: { steps[$0].kind == .run && matchesDependencyInstall(steps[$0].instruction) }) {
            return index
        }
        guard let copy = steps.indices.first(where: { [.copy, .add].contains(steps[$0].kind) && copiesRequirementFile(steps[$0].instruction) }) else { return nil }
        return steps.indices.first { $0 > copy && steps[$0].kind == .run }
    }

    /// Whether a `RUN` installs dependencies, judged on its first `patternPrefix` characters: however long the
    /// instruction, and whatever the configured patterns, one test costs a bounded time.
    private func matchesDependencyInstall(_ whole: String) -> Bool {
        let instruction = whole.utf8.count > Self.patternPrefix ? String(whole.prefix(Self.patternPrefix)) : whole
        let range = NSRange(instruction.startIndex..., in: instruction)
        return dependencyPatterns.expressions.contains { $0.firstMatch(in: instruction, range: range) != nil }
    }

    static let patternPrefix = 8192

    /// Whether a `COPY`/`ADD` instruction names a requirement file.
    func copiesRequirementFile(_ instruction: String) -> Bool {
        instruction.split(separator: " ").dropFirst().contains { isRequirementFile(String($0)) }
    }

    func isRequirementFile(_ path: String) -> Bool { matches(path, configuration.requirementFiles) }

    func isBuildFile(_ path: String) -> Bool { matches(path, configuration.buildFiles) }

    /// Whether `path` or its last component matches one of the `fnmatch` patterns.
    private func matches(_ path: String, _ patterns: [String]) -> Bool {
        let name = (path as NSString).lastPathComponent
        return patterns.contains { fnmatch($0, name, 0) == 0 || fnmatch($0, path, 0) == 0 }
    }

    /// The class of one image build, from its cached and executed steps.
    func classify(_ image: ImageBuild, dependencyOutput: [String] = []) -> Classification {
        let steps = image.dockerfileSteps
        let name = image.name
        func fact(_ kind: Fact.Kind, _ set: (inout Fact) -> Void = { _ in }) -> Fact { Fact(kind) { $0.image = name; set(&$0) } }
        guard !steps.isEmpty else { return .unknown([fact(.noDockerfileSteps)]) }
        let cached = steps.filter { $0.status == .cached }
        let ran = steps.filter(\.ran)
        let unseen = steps.count - cached.count - ran.count
        var evidence = [fact(.stepsCached) { $0.count = cached.count; $0.total = steps.count; $0.unseen = unseen > 0 ? unseen : nil }]
        if image.basePulled == true { evidence.append(fact(.basePulled)) }
        var confidence: Confidence = image.attribution == .exact && unseen == 0 && image.outcome != .unfinished ? .high : .medium
        if image.attribution == .inferred { evidence.append(fact(.sharedLines) { $0.count = image.ambiguousLines }) }

        // An excerpt, or a log cut short, may hold only some of the steps: what it holds cannot speak for the rest.
        // A build that failed shows no step after the failing one: that is its failure, not a cut log.
        let partial = Self.missingSteps(steps, endsAtFailure: image.outcome == .failed)
        let runClass: RunClass
        if ran.isEmpty {
            guard !cached.isEmpty else { return .unknown([fact(.noStepOutcome)]) }
            if let partial, image.outcome != .succeeded {
                return .unknown([fact(.partialLogUnfinished) { $0.count = cached.count; $0.shown = partial.shown; $0.total = partial.total }])
            }
            if unseen > 0 { confidence = .medium }
            runClass = .noChange
        } else if cached.isEmpty {
            if let partial, image.basePulled != true {
                return .unknown([fact(.partialLogNothingCached) { $0.shown = partial.shown; $0.total = partial.total }])
            }
            runClass = .cold
            if image.basePulled != true {
                evidence.append(fact(image.basePulled == false ? .nothingCachedBasePresent : .basePullNotInLog))
                confidence = min(confidence, .medium)
            }
        } else if let step = image.dependency, step.ran || step.status == .cached {
            let summary = dependencyOutput.first { $0.hasPrefix("Installed ") || $0.hasPrefix("Successfully installed") }
            evidence.append(fact(.dependencyInstall) { $0.instruction = step.instruction; $0.ran = step.ran; $0.lines = summary.map { [$0] } })
            runClass = step.ran ? .requirements : .codeOnly
        } else {
            // No dependency step known: what ran first tells.
            let first = steps.first(where: \.ran)!
            runClass = [.copy, .add].contains(first.kind) && copiesRequirementFile(first.instruction) ? .requirements : .codeOnly
            evidence.append(fact(.noDependencyStep))
        }
        if let first = steps.first(where: \.ran), runClass != .cold { evidence.append(fact(.ranFirst) { $0.instruction = first.instruction }) }
        if image.outcome == .failed { evidence.append(fact(.buildFailed)) }
        return Classification(runClass: runClass, confidence: confidence, source: .build, evidence: evidence)
    }

    /// How many of its steps a stage shows when the log does not hold them all (from the first after `FROM` to the
    /// last, or to the failing one when `endsAtFailure`; a total of `?` counts as complete), else nil.
    static func missingSteps(_ steps: [BuildStep], endsAtFailure: Bool = false) -> (shown: Int, total: Int)? {
        let byStage = Dictionary(grouping: steps, by: { $0.stage ?? "" })
        for (_, stageSteps) in byStage.sorted(by: { $0.key < $1.key }) {
            let indices = Set(stageSteps.compactMap(\.index))
            guard let low = indices.min(), let high = indices.max() else { continue }
            // The most common total: a vertex shared with a parallel build can carry that build's `[k/N]`.
            let totals = Dictionary(grouping: stageSteps.compactMap(\.total), by: { $0 }).mapValues(\.count)
            let total = totals.max { $0.value < $1.value || $0.value == $1.value && $0.key > $1.key }?.key ?? high
            if low > 2 || high < total && !endsAtFailure || indices.count < high - low + 1 {
                return (indices.count, total)
            }
        }
        return nil
    }

    // MARK: - Runs

    /// The class of a run: that of its heaviest image; else what changed; else its duration against the budgets.
    func classifyRun(images: [ImageBuild], changedFiles: [String]?, phases: [PhaseTiming], total: Double?) -> Classification {
        let known = images.enumerated().filter { $0.element.classification.runClass != nil }
        let fromChanges = changedFiles.map(classify(changedFiles:))
        // The heaviest image: the one whose class decides the run and, among those, the longest build.
        if let heaviest = known.max(by: { a, b in
            let (x, y) = (a.element.classification.runClass!, b.element.classification.runClass!)
            return x != y ? x < y : (a.element.duration ?? 0) < (b.element.duration ?? 0)
        }) {
            let runClass = heaviest.element.classification.runClass!
            var evidence = known.count > 1 ? [Fact(.heaviestImage) { $0.image = heaviest.element.label(position: heaviest.offset) }] : []
            evidence += known.flatMap(\.element.classification.evidence)
            let confidence = known.filter { $0.element.classification.runClass == runClass }.compactMap(\.element.classification.confidence).max() ?? .medium
            if let fromChanges, let expected = fromChanges.runClass {
                if expected != runClass {
                    evidence.append(Fact(expected < runClass ? .changesDisagree : .cacheCovered) { $0.runClass = runClass; $0.expected = expected })
                }
            }
            return Classification(runClass: runClass, confidence: confidence, source: .build, evidence: evidence)
        }
        if let fromChanges, fromChanges.runClass != nil { return fromChanges }
        if let fromDuration = classify(phases: phases, total: total) { return fromDuration }
        let reasons = images.flatMap(\.classification.evidence)
        return .unknown(reasons.isEmpty ? [Fact(.nothingToClassify)] : reasons)
    }

    /// The class the changed files explain.
    func classify(changedFiles files: [String]) -> Classification {
        let requirements = files.filter(isRequirementFile)
        let buildFiles = files.filter(isBuildFile)
        let (runClass, kind, named, confidence): (RunClass, Fact.Kind, [String], Confidence) =
            files.isEmpty ? (.noChange, .noFilesChanged, [], .medium)
            : !buildFiles.isEmpty ? (.cold, .buildFilesChanged, buildFiles, .low)
            : !requirements.isEmpty ? (.requirements, .requirementFilesChanged, requirements, .medium)
            : (.codeOnly, .codeChanged, files, .medium)
        return Classification(runClass: runClass, confidence: confidence, source: .changes,
                              evidence: [Fact(kind) { $0.files = named.isEmpty ? nil : named }])
    }

    /// The class whose budget band holds the build phase (else the total), when the log says nothing else.
    func classify(phases: [PhaseTiming], total: Double?) -> Classification? {
        var measured: [(String, Double)] = phases.compactMap { phase in phase.duration.map { (phase.name, $0) } }
        // The first-to-last span is a run's total only when the markers show the log holds the whole run.
        if let total, !phases.isEmpty, phases.allSatisfy({ $0.missingMarker == nil }) { measured.append(("total", total)) }
        for (name, seconds) in measured {
            let bands = configuration.budgets.compactMap { runClass, bands in bands[name].map { (runClass, $0) } }.sorted { $0.0 < $1.0 }
            guard !bands.isEmpty else { continue }
            let distance = { (band: ClosedRange<Double>) in seconds < band.lowerBound ? band.lowerBound - seconds : seconds - band.upperBound }
            let within = bands.first { $0.1.contains(seconds) }
            let (runClass, band) = within ?? bands.min { distance($0.1) < distance($1.1) }!
            return Classification(runClass: runClass, confidence: .low, source: .duration, evidence: [Fact(within != nil ? .withinBudget : .nearestBudget) {
                $0.metric = name; $0.seconds = seconds; $0.runClass = runClass; $0.low = band.lowerBound; $0.high = band.upperBound
            }])
        }
        return nil
    }
}

/// Regular expressions compiled on first use: compiling loads ICU, which a log without Docker builds never needs.
/// Compiled once per process and pattern: `ingest` of a thousand logs does not compile them a thousand times.
/// Sendable by its locks: a classifier shared by threads compiles its patterns once, and never while another reads.
private final class LazyPatterns: @unchecked Sendable {
    private let patterns: [String]
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var compiledExpressions: [NSRegularExpression]?

    init(_ patterns: [String]) { self.patterns = patterns }

    var expressions: [NSRegularExpression] {
        lock.lock()
        defer { lock.unlock() }
        if let compiledExpressions { return compiledExpressions }
        let expressions = patterns.compactMap(Self.compiled)
        compiledExpressions = expressions
        return expressions
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: NSRegularExpression] = [:]

    private static func compiled(_ pattern: String) -> NSRegularExpression? {
        lock.lock()
        defer { lock.unlock() }
        if let expression = cache[pattern] { return expression }
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return nil }
        if cache.count < 256 { cache[pattern] = expression }
        return expression
    }
}

/// `a - b`, when both are known.
private func difference(_ a: Double?, _ b: Double?) -> Double? {
    guard let a, let b else { return nil }
    return a - b
}
