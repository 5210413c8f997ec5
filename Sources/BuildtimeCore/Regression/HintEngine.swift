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
    public func machine(_ context: RunContext?, slowSteps: [String] = []) -> [Hint] {
        var hints: [Hint] = []
        // Each Docker host the log showed has its own cache and images.
        let usages = context?.dockerUsages ?? []
        for usage in usages {
            let on = context?.host(of: usage).map { " on \($0)" } ?? ""
            if let cache = usage.buildCache {
                let reclaimable = cache.reclaimable.map { min(max($0, 0), cache.size) } ?? 0
                if cache.size >= thresholds.buildCacheBytes || (reclaimable >= thresholds.reclaimableBytes && reclaimable >= thresholds.reclaimableShare * cache.size) {
                    hints.append(Hint(.buildCacheLarge, title: "the build cache is large" + on,
                                      evidence: ["docker system df\(on): build cache \(ByteFormat.string(cache.size)), \(ByteFormat.string(reclaimable)) reclaimable"],
                                      fix: "docker builder prune --filter until=168h   # drops cache unused for a week, keeps what builds use"))
                }
            }
            if let images = usage.images, let total = images.total, total >= thresholds.images, (images.active ?? 0) * 2 < total {
                hints.append(Hint(.imagesPilingUp, title: "images are piling up\(on): the cleanup is not running",
                                  evidence: ["docker system df\(on): \(total) images, \(images.active.map(String.init) ?? "?") in use, "
                                             + "\(ByteFormat.string(images.reclaimable ?? 0)) reclaimable"],
                                  fix: "docker image prune -a --filter until=168h   # and check the deploy's 'keep the 5 newest' step"))
            }
        }
        if let snapshot = context?.end ?? context?.start, let size = snapshot.diskSizeBytes, let free = snapshot.diskFreeBytes, size > 0,
           free < thresholds.diskFreeBytes || free < thresholds.diskFreeShare * size {
            let path = snapshot.diskPath ?? context?.dockerRoot ?? "/"
            hints.append(Hint(.diskNearlyFull, title: "the disk holding Docker's data is nearly full",
                              evidence: ["\(path): \(ByteFormat.string(free)) free of \(ByteFormat.string(size)) (\(size > 0 ? String(format: "%.0f", min(max(free / size * 100, 0), 100)) : "?")%)"],
                              fix: "docker system df; docker system prune --filter until=168h"))
        }
        var cpu: [String] = []
        for (when, snapshot) in [("start", context?.start), ("end", context?.end)] {
            if let snapshot, snapshot.cores > 0, let load = snapshot.load1, load > Double(snapshot.cores) {
                cpu.append("load average \(String(format: "%.1f", load)) on \(snapshot.cores) cores at the \(when)")
            }
        }
        cpu += slowSteps
        if !cpu.isEmpty {
            hints.append(Hint(.cpuContention, title: "CPU contention: other work competed with the build", evidence: cpu,
                              fix: "uptime; top -o %CPU   # find what else runs, move it off the CI machine or limit the runner's concurrency"))
        }
        return hints
    }

    /// `every kind of step was slower: RUN +80%, COPY +75%`, when at least two kinds with a baseline all slowed down.
    func uniformSlowdown(_ assessment: RunAssessment) -> [String] {
        let kinds = assessment.comparisons.filter { $0.metric.name.hasPrefix("steps:") && ($0.baseline?.median ?? 0) >= 1 }
        guard kinds.count >= 2, kinds.allSatisfy({ ($0.relative ?? 0) >= policy.relativeMargin }),
              kinds.contains(where: { $0.verdict == .regression }) else { return [] }
        return ["every kind of step was slower: " + kinds.map { "\($0.metric.label) \(DurationFormat.percent($0.relative!))" }.joined(separator: ", ")]
    }

    /// The dependency install or the base-image pull slower than its baseline while the rest of the run was as usual.
    func network(_ assessment: RunAssessment) -> Hint? {
        let find = { (metric: Metric) in assessment.comparisons.first { $0.metric == metric } }
        let downloads = [find(.dependencyInstall), find(.basePull)].compactMap { $0 }
        guard downloads.contains(where: { $0.verdict == .regression }), let rest = find(.otherSteps), let restBaseline = rest.baseline,
              !policy.isPractical(from: restBaseline.median, to: rest.value) else { return nil }
        var evidence = downloads.filter { $0.verdict == .regression }.map {
            "\($0.metric.label) took \(DurationFormat.string($0.value)), usually \(DurationFormat.string($0.baseline!.median)) (\(DurationFormat.percent($0.relative ?? 0)))"
        }
        evidence.append("the other build steps took \(DurationFormat.string(rest.value)), as usual (\(DurationFormat.string(restBaseline.median)))")
        return Hint(.network, title: "slow network: downloads took longer while everything else was normal", evidence: evidence,
                    fix: "curl -o /dev/null -w '%{time_total}s %{speed_download}B/s\\n' https://pypi.org/simple/   # and check the runner's DNS and proxy")
    }

    /// The build did heavier work than the changed files explain.
    func cacheLost(_ run: Run) -> Hint? {
        guard run.classification.source == .build, let runClass = run.classification.runClass, let files = run.context?.changedFiles else { return nil }
        let fromChanges = BuildClassifier(configuration: configuration).classify(changedFiles: files)
        guard let expected = fromChanges.runClass, expected < runClass else { return nil }
        let steps = run.images.flatMap(\.dockerfileSteps)
        var evidence = ["the changed files explain a \(expected.rawValue) run (\(fromChanges.evidence.joined(separator: "; ")))",
                        "the build did \(runClass.rawValue) work: \(steps.filter { !$0.ran }.count) of \(steps.count) steps cached"]
        if run.images.contains(where: { $0.basePulled == true }) { evidence.append("the base image was pulled again") }
        return Hint(.cacheLost, title: "unexpected cache miss: the build cache was lost", evidence: evidence,
                    fix: "docker buildx du | tail -3   # was the builder pruned or replaced? Also check DOCKER_BUILDKIT, that FROM pins a digest, and that requirements are copied before the code")
    }

    func legacyBuilder(_ run: Run) -> Hint? {
        let legacy = run.images.enumerated().filter { $0.element.builder == .legacy }
        guard !legacy.isEmpty else { return nil }
        return Hint(.legacyBuilder, title: "the legacy builder ran, not BuildKit",
                    evidence: ["`Step k/n` output for " + legacy.map { $0.element.label(position: $0.offset) }.joined(separator: ", ")],
                    fix: "export DOCKER_BUILDKIT=1   # or install docker-buildx-plugin; BuildKit skips unused stages and builds in parallel")
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
        return Hint(.buildsNotParallel, title: "the image builds ran one after another",
                    evidence: timed.map { "\($0.0): +\(DurationFormat.string($0.1)) to +\(DurationFormat.string($0.2))" },
                    fix: "start each `docker build ... &` and then `wait`, or build them together with `docker buildx bake`")
    }

    func deployOverBudget(_ assessment: RunAssessment) -> Hint? {
        guard let check = assessment.budget.first(where: { $0.name == "deploy" && $0.status == .over }) else { return nil }
        return Hint(.deployOverBudget, title: "the deploy phase is over budget",
                    evidence: ["deploy took \(DurationFormat.string(check.value)), budget \(DurationFormat.string(check.low))–\(DurationFormat.string(check.high))"],
                    fix: "stop and start the containers in parallel: `docker stop a b c`, then start each with `&` and `wait` (or `docker compose up -d`)")
    }

    func failedBuilds(_ run: Run) -> [Hint] {
        run.images.enumerated().filter { $0.element.outcome == .failed }.map { position, image in
            let step = image.steps.last { $0.status == .failed }
            let place = step.flatMap { step in step.index.map { "step \($0)/\(step.total.map(String.init) ?? "?") " } } ?? ""
            var evidence = [step.map { "failed at \(place)\($0.instruction)" } ?? "the build failed"]
            if let code = image.exitCode { evidence.append("exit code \(code)") }
            // The tool's own reason, else the failure summary's last lines.
            let reason = image.failureReason
            evidence += reason.isEmpty ? Array(image.errorLines.suffix(4)) : reason
            return Hint(.failedBuild, title: "the build of \(image.label(position: position)) failed", evidence: evidence,
                        fix: "docker build --progress=plain .   # run the failing step locally and read its whole output")
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
            let tool = installs.contains { $0.instruction.contains("uv ") } ? ("uv", "/root/.cache/uv") : ("pip", "/root/.cache/pip")
            hints.append(Hint(.cacheMount, .info, title: "requirement builds are mostly dependency downloads: add a cache mount",
                              evidence: ["the dependency install takes \(String(format: "%.0f", share * 100))% of each image build (median of \(installs.count) builds)"],
                              fix: "RUN --mount=type=cache,target=\(tool.1) \(tool.0 == "uv" ? "uv pip install --system -r requirements.txt" : "pip install -r requirements.txt")"))
        }
        let cold = runs.dropFirst().filter { $0.classification.runClass == .cold }
        if cold.count >= thresholds.coldRuns {
            hints.append(Hint(.externalCache, .info, title: "cold builds recur: keep the build cache outside the builder",
                              evidence: ["\(cold.count) cold runs among the \(runs.count) reported"],
                              fix: "docker buildx build --cache-to type=registry,ref=REGISTRY/IMAGE:buildcache,mode=max --cache-from type=registry,ref=REGISTRY/IMAGE:buildcache ..."))
        }
        return hints
    }
}
