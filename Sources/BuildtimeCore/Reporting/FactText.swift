import Foundation

/// The sentences of facts, hints, notes, causes and level shifts: the one place the analysis's findings become English.
public enum FactText {
    /// One line per image (its facts joined: `web: 3/8 steps cached; base image pulled`), one per other fact.
    public static func lines(_ facts: [Fact]) -> [String] {
        var lines: [String] = []
        var group: (image: String?, parts: [String])?
        func flush() {
            if let group { lines.append((group.image.map { "\($0): " } ?? "") + group.parts.joined(separator: "; ")) }
            group = nil
        }
        for fact in facts {
            guard imageKinds.contains(fact.kind) else {
                flush()
                lines += sentences(fact)
                continue
            }
            // An image's facts start with what its steps did, or with why they say nothing.
            if group == nil || group!.image != fact.image || startsImage.contains(fact.kind) { flush() }
            group = (fact.image, (group?.parts ?? []) + sentences(fact))
        }
        flush()
        return lines
    }

    /// The facts of one image build, said of the image named before them.
    static let imageKinds: Set<Fact.Kind> = [
        .stepsCached, .basePulled, .sharedLines, .noDockerfileSteps, .noStepOutcome, .partialLogUnfinished, .partialLogNothingCached,
        .nothingCachedBasePresent, .basePullNotInLog, .dependencyInstall, .noDependencyStep, .ranFirst, .buildFailed,
    ]
    private static let startsImage: Set<Fact.Kind> = [.stepsCached, .noDockerfileSteps, .noStepOutcome, .partialLogUnfinished, .partialLogNothingCached]

    /// The sentences of one fact: one, except for quoted tool output (a line each).
    public static func sentences(_ fact: Fact) -> [String] {
        // Each made only for the sentences that say it: a listing says the facts of every run.
        lazy var seconds = DurationFormat.string(fact.seconds)
        lazy var usual = DurationFormat.string(fact.usual)
        lazy var band = "\(DurationFormat.string(fact.low))–\(DurationFormat.string(fact.high))"
        let runClass = fact.runClass?.rawValue ?? "unknown", expected = fact.expected?.rawValue ?? "unknown"
        lazy var on = fact.host.map { " on \($0)" } ?? ""
        lazy var count = fact.count.map(String.init) ?? "?"
        lazy var total = fact.total.map(String.init) ?? "?"
        lazy var files = list(fact.files ?? [])
        let sentence: String
        switch fact.kind {
        case .stepsCached:
            sentence = "\(count)/\(total) steps cached" + (fact.unseen.map { ", \($0) with no outcome in the log" } ?? "")
        case .basePulled: sentence = "base image pulled"
        case .sharedLines: sentence = "\(count) lines shared with parallel builds"
        case .noDockerfileSteps: sentence = "no Dockerfile steps in the build output"
        case .noStepOutcome: sentence = "no step outcome in the build output"
        case .partialLogUnfinished:
            sentence = "\(count) steps cached, but the log shows \(fact.shown ?? 0) of its \(total) steps and the build's end is not in the log"
        case .partialLogNothingCached:
            sentence = "nothing cached among the steps shown, but the log shows \(fact.shown ?? 0) of its \(total) steps"
        case .nothingCachedBasePresent: sentence = "nothing cached, though the base image was already there"
        case .basePullNotInLog: sentence = "the base image's pull is not in the log"
        case .dependencyInstall:
            sentence = "\(short(fact.instruction)) \(fact.ran == true ? "ran" : "cached")" + (fact.lines?.first.map { " (\($0))" } ?? "")
        case .noDependencyStep: sentence = "no dependency-install step recognised"
        case .ranFirst: sentence = "\(short(fact.instruction)) ran first"
        case .buildFailed: sentence = "the build failed"
        case .heaviestImage: sentence = "heaviest image: \(fact.image ?? "?")"
        case .changesDisagree:
            sentence = "disagreement: the changed files explain a \(expected) run, but the build did \(runClass) work (cache lost?)"
        case .cacheCovered: sentence = "the changed files suggested \(expected), but the build cache covered it"
        case .noFilesChanged: sentence = "no files changed since the previous run"
        case .buildFilesChanged: sentence = "build files changed: \(files)"
        case .requirementFilesChanged: sentence = "requirement files changed: \(files)"
        case .codeChanged: sentence = "only code changed: \(files)"
        case .withinBudget: sentence = "\(fact.metric ?? "total") \(seconds) is within the \(runClass) budget (\(band))"
        case .nearestBudget: sentence = "\(fact.metric ?? "total") \(seconds) is nearest the \(runClass) budget (\(band))"
        case .nothingToClassify: sentence = "no Docker build output, no changed files and no measured duration"
        case .notClassified: sentence = "not classified"
        case .buildsDropped: sentence = "\(count) more builds in the log were read but not kept (at most \(total) are)"
        case .text: return fact.lines ?? []
        case .buildCache:
            sentence = "docker system df\(on): build cache \(ByteFormat.string(fact.bytes ?? 0)), \(ByteFormat.string(fact.reclaimable ?? 0)) reclaimable"
        case .images:
            sentence = "docker system df\(on): \(count) images, \(fact.active.map(String.init) ?? "?") in use, \(ByteFormat.string(fact.reclaimable ?? 0)) reclaimable"
        case .disk:
            let (free, size) = (fact.free ?? 0, fact.bytes ?? 0)
            sentence = "\(fact.path ?? "/"): \(ByteFormat.string(free)) free of \(ByteFormat.string(size)) "
                + "(\(size > 0 ? String(format: "%.0f", min(max(free / size * 100, 0), 100)) : "?")%)"
        case .load:
            sentence = "load average \(String(format: "%.1f", fact.load ?? 0)) on \(fact.cores ?? 0) cores at the \(fact.status ?? "start")"
        case .stepsSlower:
            sentence = "every kind of step was slower: " + (fact.parts ?? []).map { "\(Metric($0.metric).label) \(percent($0.seconds, $0.usual))" }.joined(separator: ", ")
        case .downloadSlower:
            sentence = "\(Metric(fact.metric ?? "").label) took \(seconds), usually \(usual) (\(percent(fact.seconds, fact.usual)))"
        case .otherStepsAsUsual: sentence = "the other build steps took \(seconds), as usual (\(usual))"
        case .changesExplain: sentence = "the changed files explain a \(expected) run"
        case .buildDid: sentence = "the build did \(runClass) work: \(count) of \(total) steps cached"
        case .basePulledAgain: sentence = "the base image was pulled again"
        case .legacyBuild: sentence = "`Step k/n` output for \(fact.image ?? "a build")"
        case .buildSpan:
            sentence = "\(fact.image ?? "a build"): +\(DurationFormat.string(fact.start)) to +\(DurationFormat.string(fact.end))"
        case .overBudget: sentence = "\(fact.metric ?? "total") took \(seconds), budget \(band)"
        case .failedStep:
            let place = fact.index.map { "step \($0)/\(total) " } ?? ""
            sentence = "failed at \(place)\(fact.instruction ?? "?")"
        case .exitCode: sentence = "exit code \(fact.code.map(String.init) ?? "?")"
        case .toolOutput: return fact.lines ?? []
        case .dependencyShare:
            sentence = "the dependency install takes \(String(format: "%.0f", (fact.share ?? 0) * 100))% of each image build (median of \(count) builds)"
        case .coldRuns: sentence = "\(count) cold runs among the \(total) reported"
        case .classUnknown: sentence = "class unknown"
        case .notSucceeded: sentence = "\(fact.status ?? "failed"): not compared"
        case .noTimestamps: sentence = "no timestamps: not compared"
        case .followsShift: sentence = "follows the level shift of \(runReference(pipeline: fact.pipeline, id: fact.run))"
        case .notEnoughHistory: sentence = "not enough history (\(count)/\(total))"
        case .startsLevelShift: sentence = "starts a level shift"
        case .baseline: sentence = "baseline of \(count) \(runClass) runs"
        }
        return [sentence]
    }

    /// The sentence of a note (facts that are one sentence each).
    public static func sentence(_ fact: Fact) -> String { sentences(fact).joined(separator: "; ") }

    /// `pipeline #123`, else `run 45`.
    public static func runReference(pipeline: Int?, id: Int64?) -> String {
        pipeline.map { "pipeline #\($0)" } ?? id.map { "run \($0)" } ?? "a run"
    }

    /// `a.py, b.py, c.py and 4 more`.
    static func list(_ items: [String]) -> String {
        items.prefix(3).joined(separator: ", ") + (items.count > 3 ? " and \(items.count - 3) more" : "")
    }

    /// `+57%`, from a value and its usual one.
    private static func percent(_ value: Double?, _ usual: Double?) -> String {
        guard let value, let usual, usual > 0 else { return "—" }
        return DurationFormat.percent((value - usual) / usual)
    }

    /// An instruction cut for evidence lines.
    static func short(_ instruction: String?) -> String {
        guard let instruction else { return "?" }
        return instruction.count <= 48 ? instruction : String(instruction.prefix(45)) + "..."
    }

    // MARK: - Hints

    /// `the build cache is large on ci-2`.
    public static func title(_ hint: Hint) -> String {
        let on = hint.facts.first?.host.map { " on \($0)" } ?? ""
        switch hint.kind {
        case .buildCacheLarge: return "the build cache is large" + on
        case .imagesPilingUp: return "images are piling up\(on): the cleanup is not running"
        case .diskNearlyFull: return "the disk holding Docker's data is nearly full"
        case .network: return "slow network: downloads took longer while everything else was normal"
        case .cpuContention: return "CPU contention: other work competed with the build"
        case .cacheLost: return "unexpected cache miss: the build cache was lost"
        case .legacyBuilder: return "the legacy builder ran, not BuildKit"
        case .buildsNotParallel: return "the image builds ran one after another"
        case .deployOverBudget: return "the deploy phase is over budget"
        case .failedBuild: return "the build of \(hint.facts.first?.image ?? "an unnamed build") failed"
        case .cacheMount: return "requirement builds are mostly dependency downloads: add a cache mount"
        case .externalCache: return "cold builds recur: keep the build cache outside the builder"
        }
    }

    /// The hint's evidence, a line each; the builds the legacy builder ran are one line, as are the changed files
    /// with the class they explain.
    public static func evidence(_ hint: Hint) -> [String] {
        var facts = hint.facts[...]
        var lines: [String] = []
        if hint.kind == .legacyBuilder {
            let legacy = facts.prefix { $0.kind == .legacyBuild }
            lines.append("`Step k/n` output for " + legacy.map { $0.image ?? "a build" }.joined(separator: ", "))
            facts = facts.dropFirst(legacy.count)
        }
        if let explain = facts.first, explain.kind == .changesExplain, let files = facts.dropFirst().first {
            lines.append(sentence(explain) + " (\(sentence(files)))")
            facts = facts.dropFirst(2)
        }
        return lines + facts.flatMap(sentences)
    }

    /// The command (or change) that fixes it.
    public static func fix(_ hint: Hint) -> String {
        switch hint.kind {
        case .buildCacheLarge: return "docker builder prune --filter until=168h   # drops cache unused for a week, keeps what builds use"
        case .imagesPilingUp: return "docker image prune -a --filter until=168h   # and check the deploy's 'keep the 5 newest' step"
        case .diskNearlyFull: return "docker system df; docker system prune --filter until=168h"
        case .network:
            return "curl -o /dev/null -w '%{time_total}s %{speed_download}B/s\\n' https://pypi.org/simple/   # and check the runner's DNS and proxy"
        case .cpuContention:
            return "uptime; top -o %CPU   # find what else runs, move it off the CI machine or limit the runner's concurrency"
        case .cacheLost:
            return "docker buildx du | tail -3   # was the builder pruned or replaced? Also check DOCKER_BUILDKIT, that FROM pins a digest, and that requirements are copied before the code"
        case .legacyBuilder: return "export DOCKER_BUILDKIT=1   # or install docker-buildx-plugin; BuildKit skips unused stages and builds in parallel"
        case .buildsNotParallel: return "start each `docker build ... &` and then `wait`, or build them together with `docker buildx bake`"
        case .deployOverBudget:
            return "stop and start the containers in parallel: `docker stop a b c`, then start each with `&` and `wait` (or `docker compose up -d`)"
        case .failedBuild: return "docker build --progress=plain .   # run the failing step locally and read its whole output"
        case .cacheMount:
            return hint.facts.first?.tool == "uv" ? "RUN --mount=type=cache,target=/root/.cache/uv uv pip install --system -r requirements.txt"
                : "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt"
        case .externalCache:
            return "docker buildx build --cache-to type=registry,ref=REGISTRY/IMAGE:buildcache,mode=max --cache-from type=registry,ref=REGISTRY/IMAGE:buildcache ..."
        }
    }

    // MARK: - Causes and level shifts

    /// `build phase +18s, image trading-dashboard +17s, step trading-dashboard › COPY . . +12s`; empty when nothing
    /// moved beyond its noise.
    public static func summary(_ cause: Cause) -> String {
        [cause.phase.map { "\($0.name) phase \(DurationFormat.signed($0.change))" },
         cause.image.map { "image \($0.name) \(DurationFormat.signed($0.change))" },
         cause.step.map { "step \($0.name) \(DurationFormat.signed($0.change))" }].compactMap { $0 }.joined(separator: ", ")
    }

    /// `build phase +18s, ...`, else that the time is spread.
    public static func whereTime(_ cause: Cause?) -> String {
        let summary = cause.map(summary) ?? ""
        return summary.isEmpty ? spread : summary
    }

    /// When no phase, image or step moved beyond its own noise.
    static let spread = "the time is spread: no phase, image or step moved beyond its own noise"

    /// `since pipeline #240 (commit 19154b5) code-only runs take 1m12s instead of 46s (+57%)`.
    public static func sentence(_ shift: LevelShift) -> String { "since \(start(shift)) \(level(shift))" }

    /// `pipeline #240 (commit 19154b5)`.
    public static func start(_ shift: LevelShift) -> String {
        runReference(pipeline: shift.pipeline, id: shift.runID) + (shift.commit.map { " (commit \($0.prefix(7)))" } ?? "")
    }

    /// `code-only runs take 1m06s instead of 44.0s (+51%)`.
    public static func level(_ shift: LevelShift) -> String {
        let what = shift.metric.map { "the \(Metric($0).label) of \(shift.runClass.rawValue) runs takes" } ?? "\(shift.runClass.rawValue) runs take"
        return "\(what) \(DurationFormat.string(shift.after)) instead of \(DurationFormat.string(shift.before)) (\(DurationFormat.percent(shift.relative)))"
    }
}

extension Hint {
    /// The facts, and for display the sentences `FactText` makes of them: `title`, `evidence` and `fix`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(severity, forKey: .severity)
        try container.encode(facts, forKey: .facts)
        try container.encode(FactText.title(self), forKey: .title)
        try container.encode(FactText.evidence(self), forKey: .evidence)
        try container.encode(FactText.fix(self), forKey: .fix)
    }
}
