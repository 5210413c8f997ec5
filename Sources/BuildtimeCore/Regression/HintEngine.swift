import Foundation

/// Turns what a run did, the machine it ran on and its comparisons into troubleshooting hints.
public struct HintEngine: Sendable {
    public var configuration: Configuration
    public var policy: RegressionPolicy
    public var thresholds: HintThresholds

    public init(configuration: Configuration = .default, policy: RegressionPolicy = .default, thresholds: HintThresholds = HintThresholds()) {
        self.configuration = configuration
        self.policy = policy
        self.thresholds = thresholds
    }

    /// The hints of one run, in a fixed order.
    public func hints(for run: Run, assessment: RunAssessment) -> [Hint] {
        var hints = machine(run.context, slowSteps: uniformSlowdown(assessment))
        hints += [network(assessment), cacheLost(run), legacyBuilder(run), notParallel(run), deployOverBudget(assessment)].compactMap { $0 }
        hints += failedBuilds(run)
        return hints
    }

    /// The hints the machine's state gives on its own: what `buildtime doctor` reports.
    public func machine(_ context: RunContext?, slowSteps: [Fact] = []) -> [Hint] {
        var hints: [Hint] = []
        // Each Docker host the log showed has its own cache and images.
        let usages = context?.dockerUsages ?? []
        for usage in usages {
            let host = context?.host(of: usage)
            if let cache = usage.buildCache {
                let reclaimable = cache.reclaimable.map { min(max($0, 0), cache.size) } ?? 0
                if cache.size >= thresholds.buildCacheBytes || (reclaimable >= thresholds.reclaimableBytes && reclaimable >= thresholds.reclaimableShare * cache.size) {
                    hints.append(Hint(.buildCacheLarge, facts: [Fact(.buildCache) { $0.host = host; $0.bytes = cache.size; $0.reclaimable = reclaimable }]))
                }
            }
            if let images = usage.images, let total = images.total, total >= thresholds.images, (images.active ?? 0) * 2 < total {
                hints.append(Hint(.imagesPilingUp, facts: [Fact(.images) {
                    $0.host = host; $0.count = total; $0.active = images.active; $0.reclaimable = images.reclaimable ?? 0
                }]))
            }
        }
        if let snapshot = context?.end ?? context?.start, let size = snapshot.diskSizeBytes, let free = snapshot.diskFreeBytes, size > 0,
           free < thresholds.diskFreeBytes || free < thresholds.diskFreeShare * size {
            let path = snapshot.diskPath ?? context?.dockerRoot ?? "/"
            hints.append(Hint(.diskNearlyFull, facts: [Fact(.disk) { $0.path = path; $0.free = free; $0.bytes = size }]))
        }
        var cpu: [Fact] = []
        for (when, snapshot) in [("start", context?.start), ("end", context?.end)] {
            if let snapshot, snapshot.cores > 0, let load = snapshot.load1, load > Double(snapshot.cores) {
                cpu.append(Fact(.load) { $0.load = load; $0.cores = snapshot.cores; $0.status = when })
            }
        }
        cpu += slowSteps
        if !cpu.isEmpty { hints.append(Hint(.cpuContention, facts: cpu)) }
        return hints
    }

    /// Every kind of step slower (`RUN +80%, COPY +75%`), when at least two kinds with a baseline all slowed down.
    func uniformSlowdown(_ assessment: RunAssessment) -> [Fact] {
        let kinds = assessment.comparisons.filter { $0.metric.name.hasPrefix("steps:") && ($0.baseline?.median ?? 0) >= 1 }
        guard kinds.count >= 2, kinds.allSatisfy({ ($0.relative ?? 0) >= policy.relativeMargin }),
              kinds.contains(where: { $0.verdict == .regression }) else { return [] }
        return [Fact(.stepsSlower) { $0.parts = kinds.map { Fact.Part(metric: $0.metric.name, seconds: $0.value, usual: $0.baseline!.median) } }]
    }

    /// The dependency install or the base-image pull slower than its baseline while the rest of the run was as usual.
    func network(_ assessment: RunAssessment) -> Hint? {
        let find = { (metric: Metric) in assessment.comparisons.first { $0.metric == metric } }
        let downloads = [find(.dependencyInstall), find(.basePull)].compactMap { $0 }
        guard downloads.contains(where: { $0.verdict == .regression }), let rest = find(.otherSteps), let restBaseline = rest.baseline,
              !policy.isPractical(from: restBaseline.median, to: rest.value) else { return nil }
        let slower = downloads.filter { $0.verdict == .regression }.map { comparison in
            Fact(.downloadSlower) { $0.metric = comparison.metric.name; $0.seconds = comparison.value; $0.usual = comparison.baseline!.median }
        }
        return Hint(.network, facts: slower + [Fact(.otherStepsAsUsual) { $0.seconds = rest.value; $0.usual = restBaseline.median }])
    }

    /// The build did heavier work than the changed files explain.
    func cacheLost(_ run: Run) -> Hint? {
        guard run.classification.source == .build, let runClass = run.classification.runClass, let files = run.context?.changedFiles else { return nil }
        let fromChanges = BuildClassifier(configuration: configuration).classify(changedFiles: files)
        guard let expected = fromChanges.runClass, expected < runClass else { return nil }
        let steps = run.images.flatMap(\.dockerfileSteps)
        var facts = [Fact(.changesExplain) { $0.expected = expected }] + fromChanges.evidence
        facts.append(Fact(.buildDid) { $0.runClass = runClass; $0.count = steps.filter { !$0.ran }.count; $0.total = steps.count })
        if run.images.contains(where: { $0.basePulled == true }) { facts.append(Fact(.basePulledAgain)) }
        return Hint(.cacheLost, facts: facts)
    }

    func legacyBuilder(_ run: Run) -> Hint? {
        let legacy = run.images.enumerated().filter { $0.element.builder == .legacy }
        guard !legacy.isEmpty else { return nil }
        return Hint(.legacyBuilder, facts: legacy.map { image in Fact(.legacyBuild) { $0.image = image.element.label(position: image.offset) } })
    }

    /// Two or more builds, each starting only after the one before had finished.
    func notParallel(_ run: Run) -> Hint? {
        let timed = run.images.enumerated().compactMap { position, image -> (String, Double, Double)? in
            guard let start = image.startOffset, let duration = image.duration else { return nil }
            return (image.label(position: position), start, start + duration)
        }.sorted { $0.1 < $1.1 }
        guard timed.count >= 2, timed.count == run.images.count else { return nil }
        let slack = max(run.timeResolution ?? 0, 0.5)
        guard zip(timed, timed.dropFirst()).allSatisfy({ $1.1 >= $0.2 - slack }) else { return nil }
        return Hint(.buildsNotParallel, facts: timed.map { build in Fact(.buildSpan) { $0.image = build.0; $0.start = build.1; $0.end = build.2 } })
    }

    func deployOverBudget(_ assessment: RunAssessment) -> Hint? {
        guard let check = assessment.budget.first(where: { $0.name == "deploy" && $0.status == .over }) else { return nil }
        return Hint(.deployOverBudget, facts: [Fact(.overBudget) { $0.metric = check.name; $0.seconds = check.value; $0.low = check.low; $0.high = check.high }])
    }

    func failedBuilds(_ run: Run) -> [Hint] {
        run.images.enumerated().filter { $0.element.outcome == .failed }.map { position, image in
            let label = image.label(position: position)
            let step = image.steps.last { $0.status == .failed }
            var facts = [step.map { step in Fact(.failedStep) { $0.image = label; $0.instruction = step.instruction; $0.index = step.index; $0.total = step.total } }
                ?? Fact(.buildFailed) { $0.image = label }]
            if let code = image.exitCode { facts.append(Fact(.exitCode) { $0.code = code }) }
            // The tool's own reason, else the failure summary's last lines.
            let reason = image.failureReason
            let lines = reason.isEmpty ? Array(image.errorLines.suffix(4)) : reason
            if !lines.isEmpty { facts.append(Fact(.toolOutput) { $0.lines = lines }) }
            return Hint(.failedBuild, facts: facts)
        }
    }

    /// Next optimisations of the build document, from the runs reported: a cache mount when dependency downloads
    /// dominate requirement builds; an external build cache when cold builds recur.
    public func suggestions(for runs: [Run]) -> [Hint] {
        var hints: [Hint] = []
        let installs = runs.filter { [.requirements, .cold].contains($0.classification.runClass) }.flatMap { run in
            run.images.compactMap { image -> (share: Double, instruction: String)? in
                guard let step = image.dependency, let duration = image.duration, duration > 0,
                      let seconds = step.duration, step.ran else { return nil }
                return (seconds / duration, step.instruction)
            }
        }
        if let share = Baseline.median(installs.map(\.share)), share >= thresholds.dependencyShare,
           !installs.contains(where: { $0.instruction.contains("type=cache") }) {
            let tool = installs.contains { $0.instruction.contains("uv ") } ? "uv" : "pip"
            hints.append(Hint(.cacheMount, .info, facts: [Fact(.dependencyShare) { $0.share = share; $0.count = installs.count; $0.tool = tool }]))
        }
        let cold = runs.dropFirst().filter { $0.classification.runClass == .cold }
        if cold.count >= thresholds.coldRuns {
            hints.append(Hint(.externalCache, .info, facts: [Fact(.coldRuns) { $0.count = cold.count; $0.total = runs.count }]))
        }
        return hints
    }
}
