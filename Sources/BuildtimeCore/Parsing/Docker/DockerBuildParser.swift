import Foundation

/// Finds the Docker builds inside a log. It hands each line to the reader of its output format — BuildKit plain
/// progress here (also interleaved from parallel builds, with stream prefixes, or bake/compose targets; which build
/// an unprefixed line belongs to is `BuildKitAttribution`'s to choose), `TTYProgressReader`, `RawJSONProgressReader`,
/// `LegacyBuilderReader` — and reads the failure summaries and `docker build` command lines any of them may print.
/// Works on the bytes of each line; strings are made only for the few lines that name something.
final class DockerBuildParser {
    /// The builds found so far, shared by the readers of each output format.
    private let registry = BuildRegistry()
    private lazy var legacy = LegacyBuilderReader(registry: registry)
    private lazy var tty = TTYProgressReader(registry: registry)
    private lazy var rawJSON = RawJSONProgressReader(registry: registry)

    var builds: [BuildState] { registry.builds }
    var droppedBuilds: Int { registry.droppedBuilds }

    /// Bake/compose targets: vertex names prefixed with them (`[api 2/5]`) belong to that target's build.
    private var targets: Set<String> = []
    /// Bake/compose share one numbering across targets.
    private var targetVertices: [Int: BuildState] = [:]
    private var inErrorTail = false
    private var declarations = 0
    private var sawBuildStart = false
    /// `docker build -f ... -t ...` command lines the log shows (a shell trace, a script's echo), in order.
    private(set) var commands: [BuildCommand] = []
    /// The latest command line of each tag (`name:version` as `naming to` shows it).
    private var commandsByTag: [String: BuildCommand] = [:]

    /// The build of the last BuildKit line: builds print in bursts.
    private var lastBuild: BuildState?
    /// Layer digests shown by any build, with the base image of the vertex that showed each first (bounded).
    private var digests: [UInt64: String] = [:]
    /// The time of the last BuildKit line attributed by evidence.
    private var lastTime: Double?
    /// Whether the log's times have fractions of seconds: the attribution then compares times more closely.
    private var finerTimes = false
    /// Parsed vertex names by a hash of their bytes: parallel builds and repeated runs print the same headers again
    /// and again, and a hit then costs no string.
    private var names: [UInt64: (bytes: [UInt8], name: VertexName)] = [:]

    /// FNV-1a of a line's bytes.
    static func hash(_ text: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    private func vertexName(_ text: UnsafeBufferPointer<UInt8>, hash: UInt64) -> VertexName {
        if let known = names[hash], known.bytes.count == text.count,
           known.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, text.baseAddress!, text.count) == 0 }) { return known.name }
        let name = VertexName(text.string)
        if names.count >= 4096 { names.removeAll(keepingCapacity: true) }
        names[hash] = (Array(text), name)
        return name
    }

    // MARK: - Lines

    /// With tracing on, the build (its index in `builds`) that took each BuildKit line, -1 for other lines: for
    /// tests and the attribution benchmark, which compare it with each line's true owner.
    var trace: [Int]?
    private var traced = -1

    func consume(_ line: LogLine) {
        guard trace != nil else { return read(line) }
        traced = -1
        read(line)
        trace!.append(traced)
    }

    private func read(_ line: LogLine) {
        var text = line.text
        // Jenkins' timestamper and other CIs indent every line: BuildKit's and the legacy builder's lines are read
        // after the indentation (the legacy builder's own ` ---> ` keeps its one space).
        var indent = 0
        while indent < text.count, text[indent] == UInt8(ascii: " ") || text[indent] == UInt8(ascii: "\t") { indent += 1 }
        if indent > 0, indent < text.count {
            let rest = UnsafeBufferPointer(rebasing: text[indent...])
            switch rest[0] {
            case UInt8(ascii: "#"), UInt8(ascii: "["): text = rest
            case UInt8(ascii: "-") where rest.starts(with: Prefix.arrow): text = UnsafeBufferPointer(rebasing: text[(indent - 1)...])
            case UInt8(ascii: "S") where rest.starts(with: Prefix.step) && rest.count > 5 && rest[5] &- UInt8(ascii: "0") < 10: text = rest
            default: break
            }
        }
        var key: String?
        if text.first == UInt8(ascii: "["), let (prefix, rest) = Self.streamPrefix(text) {
            key = prefix
            text = rest
        }
        if let buildKit = BuildKitLine(text) {
            handle(buildKit, key: key, time: line.time)
            return
        }
        guard let first = text.first else { return }
        if first == UInt8(ascii: "+") || first == UInt8(ascii: "d") || first == UInt8(ascii: "$") || indent > 0 && text.count < 4096,
           text.count < 4096, let command = BuildCommand(UnsafeBufferPointer(rebasing: line.text[indent...])) {
            commands.append(command)
            // Bounded: a build's command line comes shortly before it.
            if commandsByTag.count >= 4096 { commandsByTag.removeAll(keepingCapacity: true) }
            for tag in command.tags {
                let (name, version) = BuildState.split(reference: Substring(tag))
                commandsByTag[name + ":" + (version ?? "")] = command
            }
            return
        }
        switch first {
        case UInt8(ascii: " "):
            if text.starts(with: Prefix.legacyArrow) { legacy.arrow(text, time: line.time, errorTail: inErrorTail ? errorBuild(time: line.time) : nil) }
            else if text.starts(with: Prefix.ttyStep) { tty.read(UnsafeBufferPointer(rebasing: text[4...]), time: line.time) }
            else if text.starts(with: Prefix.failingStep) { startErrorTail(failingStep: text.string, time: line.time) }
            else if inErrorTail { errorBuild(time: line.time).addError(text.string) }
            else { legacy.output(text) }
        case UInt8(ascii: "S"):
            if text.starts(with: Prefix.step) { legacy.step(text.string, time: line.time) }
            else if text.starts(with: Prefix.successfullyBuilt) { legacy.finish(.succeeded, time: line.time) }
            else if text.starts(with: Prefix.successfullyTagged) { legacy.tagged(Substring(text.string.dropFirst(20)), time: line.time) }
            else if text.starts(with: Prefix.downloadedNewerImage) { legacy.build(time: line.time).basePulled = true }
            else if text.starts(with: Prefix.sendingContext) { legacy.build(time: line.time).touch(line.time) }
            else { otherLine(text, time: line.time) }
        case UInt8(ascii: "-"):
            if text.allSatisfy({ $0 == UInt8(ascii: "-") }), text.count >= 6 {
                // BuildKit's failure summary is framed by `------`; only a build that is running or failed has one.
                if text.count == 6, registry.lastFailed != nil || !registry.open.isEmpty { inErrorTail = true }
                else if inErrorTail { errorBuild(time: line.time).addError(text.string) }
            } else { otherLine(text, time: line.time) }
        case UInt8(ascii: "D"):
            if text.starts(with: Prefix.legacyDeprecation) { legacy.build(time: line.time).touch(line.time) } else { otherLine(text, time: line.time) }
        case UInt8(ascii: "{"):
            if text.starts(with: Prefix.rawVertexes) || text.starts(with: Prefix.rawStatuses) || text.starts(with: Prefix.rawLogs) {
                rawJSON.read(text, time: line.time)
            } else { otherLine(text, time: line.time) }
        default:
            otherLine(text, time: line.time)
        }
    }

    /// Lines with no builder syntax of their own: failure summaries, legacy output and pulls, error context.
    private func otherLine(_ text: UnsafeBufferPointer<UInt8>, time: Double?) {
        if text.starts(with: Prefix.errorFailedTo) || text.starts(with: Prefix.failedToSolve) || text.starts(with: Prefix.executorFailed)
            || text.starts(with: Prefix.errorExecutorFailed) {
            let message = text.string
            let build = errorBuild(time: time)
            build.addError(message)
            build.exitCode = build.exitCode ?? Self.exitCode(in: message, after: "exit code: ")
            build.outcome = .failed
            if let failing = build.order.last(where: { $0.status == .failed }) ?? build.order.last(where: { $0.status == .running }) {
                failing.status = .failed
                failing.nameFromFailure(message)
            }
            registry.close(build)
            inErrorTail = false
            return
        }
        if text.starts(with: Prefix.theCommand), let code = Self.exitCode(in: text.string, after: "returned a non-zero code: ") {
            legacy.failed(message: text.string, exitCode: code, time: time)
            return
        }
        if inErrorTail {
            errorBuild(time: time).addError(text.string)
            return
        }
        legacy.other(text, time: time)
    }

    // MARK: - BuildKit plain progress

    private func handle(_ line: BuildKitLine, key: String?, time: Double?) {
        if let time, time != time.rounded(.down) { finerTimes = true }
        if case .buildStart = line.kind {
            sawBuildStart = true
            let build = key.map { registry.build(forKey: $0, time: time) } ?? registry.start(.buildkit, time: time)
            build.maxVertex = max(build.maxVertex, 0)
            build.announced = true
            build.current = 0
            lastBuild = build
            lastTime = time
            if trace != nil { traced = builds.firstIndex { $0 === build } ?? -1 }
            return
        }
        var header: VertexName?
        var headerHash: UInt64 = 0
        if case .text = line.kind, VertexName.looksLikeHeader(line.text) {
            headerHash = Self.hash(line.text)
            header = vertexName(line.text, hash: headerHash)
        }
        var textHash: UInt64?
        var digest: UInt64?
        switch line.kind {
        case .output: textHash = Self.hash(line.text)
        case .text where header == nil: digest = BuildKitAttribution.layerDigest(line.text)
        default: break
        }
        let (build, number, ambiguous) = attribute(line, header: header, hash: headerHash, textHash: textHash ?? 0, digest: digest, key: key, time: time)
        lastBuild = build
        build.lastLine = attributedLines
        if trace != nil { traced = builds.firstIndex { $0 === build } ?? -1 }
        build.touch(time)
        if ambiguous { build.ambiguousLines += 1 }
        if line.vertex < 0, header != nil { build.maskedVertex = number }
        let vertex: VertexState
        if let existing = build.vertices[number] {
            vertex = existing
            if header != nil { existing.awaitsReprint = false }
            if header != nil, existing.isTerminal {
                // BuildKit restarted the vertex (the build context does this): a new end follows.
                existing.reopenedAt = time
                existing.priorDuration = existing.duration ?? 0
                existing.priorStatus = existing.status
                set(existing, .pending, in: build)
            }
        } else {
            vertex = declare(number, name: header ?? VertexName(""), hash: headerHash, in: build, time: time)
            if header != nil, case .text = line.kind {
                build.current = number
                return
            }
        }
        vertex.touch(time)
        // `printVtx` leaves no vertex current after an end: the build's next line is a header.
        build.current = line.kind.isEnd ? nil : number
        defer {
            // A trailing block's end closes its finished build again.
            if vertex.name.isTrailing, vertex.isTerminal, build.isFinished { registry.close(build) }
        }
        switch line.kind {
        case .cached:
            set(vertex, .cached, in: build)
        case .done(let seconds):
            if vertex.kind == .export, !vertex.showedStatus { takeExportStatuses(of: number, to: build, vertex) }
            if vertex.status != .failed { set(vertex, .done, in: build) }
            vertex.duration = seconds.map { vertex.reopenedAt != nil ? max($0, vertex.priorDuration) : $0 }
            if let seconds, let time { vertex.estimateStart(time - seconds) }
            if vertex.kind == .export, build.outcome == .unfinished, vertex.name.isExport {
                build.outcome = .succeeded
                reconcileDefinition(of: build)
                registry.close(build)
            }
        case .error:
            set(vertex, .failed, in: build)
            build.outcome = .failed
            let message = line.text.string
            build.addError(message)
            build.exitCode = build.exitCode ?? Self.exitCode(in: message, after: "exit code: ")
            registry.lastFailed = build
        case .canceled:
            set(vertex, .canceled, in: build)
            if build.outcome == .unfinished { build.outcome = .canceled }
        case .output(let seconds):
            if vertex.status == .pending { vertex.status = .running }
            if let textHash { vertex.remember(textHash) }
            if let seconds {
                vertex.lastOutputSeconds = max(vertex.lastOutputSeconds ?? 0, seconds)
                if let time { vertex.estimateStart(time - seconds) }
            }
            if vertex.kind == .run { DependencyOutput.note(line.text, in: vertex) }
            if vertex.kind == .run || vertex.isUnnamed { vertex.keepOutput(line.text) }
        case .text:
            if vertex.kind == .export {
                rememberExportStatus(line.text, of: vertex, in: build)
                vertex.exportStage = max(vertex.exportStage, BuildKitAttribution.exportStage(line.text))
            }
            vertex.showedStatus = true
            if line.text.starts(with: Prefix.transferring), let seconds = BuildKitAttribution.statusSeconds(line.text) {
                vertex.lastTransferSeconds = max(vertex.lastTransferSeconds ?? 0, seconds)
                if let bytes = BuildKitAttribution.transferBytes(line.text) { vertex.lastTransferBytes = max(vertex.lastTransferBytes ?? 0, bytes) }
            }
            status(line.text, of: vertex, in: build)
            if let digest, build.digests.count < 1024 {
                build.digests.insert(digest)
                if digests.count < 65536, digests[digest] == nil { digests[digest] = vertex.name.fromImage ?? "" }
            }
        case .ignorable:
            // `#N ...`: the printer left a running vertex for another.
            if line.text.count == 3 {
                build.current = nil
                vertex.awaitsReprint = true
            }
        case .buildStart:
            break
        }
    }

    /// Declares a vertex the log just named, with what the attribution needs to know of it.
    private func declare(_ number: Int, name: VertexName, hash: UInt64, in build: BuildState, time: Double?) -> VertexState {
        declarations += 1
        let vertex = build.declare(number, name: name, time: time)
        vertex.nameHash = hash
        build.names.insert(hash)
        if vertex.isDefinition { build.definitionHash = hash }
        if vertex.isMetadata { build.metadataHash ^= hash }
        build.anonymousShape = (build.anonymousShape ^ (vertex.isDefinition ? 1 : vertex.isMetadata ? 2 : hash)) &* 0x100_0000_01B3
        if name.index != nil {
            build.openSteps += 1
            if let position = name.position { build.steps[position] = vertex }
            let stage = name.prefix ?? ""
            if let total = name.total, build.stageTotals[stage, default: [:]].count < 8 {
                // A name another build showed may be that build's (one vertex for both on one daemon): its total
                // says less of this build's than a name of its own.
                let borrowed = registry.unkeyed.contains { $0 !== build && $0.names.contains(hash) }
                build.stageTotals[stage, default: [:]][total, default: 0] += borrowed ? 1 : 4
            }
            if let index = name.index { build.stageHighest[stage] = max(build.stageHighest[stage] ?? 0, index) }
            build.lastStage = stage
            // A base image whose metadata the build did not load: the preamble may be another build's.
            if let image = name.fromImage, !build.metadata.isEmpty, !build.metadata.contains(image), !forks.isEmpty {
                exchanged(forks.reconcile(build, from: image))
            }
        } else if name.isExport {
            build.hasExport = true
        } else if let image = name.metadataImage {
            build.metadata.insert(image)
            build.openMetadata += 1
        } else if let file = name.dockerfile {
            build.dockerfile = file
        }
        return vertex
    }

    /// Sets a vertex's status, keeping the build's counts of Dockerfile steps and metadata loads not yet ended.
    private func set(_ vertex: VertexState, _ status: StepStatus, in build: BuildState) {
        if vertex.isTerminal != (status == .cached || status == .done || status == .failed || status == .canceled) {
            if vertex.isStep { build.openSteps += vertex.isTerminal ? 1 : -1 }
            if vertex.isMetadata { build.openMetadata += vertex.isTerminal ? 1 : -1 }
        }
        vertex.status = status
    }

    /// A status line of a vertex: layer downloads of a pulled base image, the image name.
    private func status(_ text: UnsafeBufferPointer<UInt8>, of vertex: VertexState, in build: BuildState) {
        if text.starts(with: Prefix.namingTo) {
            // `naming to docker.io/library/app:139 done`: the reference is the first word.
            var end = Prefix.namingTo.count
            while end < text.count, text[end] != UInt8(ascii: " ") { end += 1 }
            (build.name, build.tag) = BuildState.split(reference: UnsafeBufferPointer(rebasing: text[Prefix.namingTo.count..<end]))
        } else if text.starts(with: Prefix.extracting) || Self.isLayerDownload(text) {
            build.basePulled = true
        }
    }

    /// `sha256:<64 hex> 12.58MB / 49.81MB 2.3s`: a layer being downloaded. The pre-0.9 `#N sha256:<digest>` line
    /// after each header has no sizes and is not one.
    private static func isLayerDownload(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.starts(with: Prefix.sha256), text.count > 7 + 64 + 2 else { return false }
        let after = 7 + 64
        return text[after] == UInt8(ascii: " ") && text[after + 1] &- UInt8(ascii: "0") < 10
    }

    /// Which build a `#N` line belongs to, the vertex number there (a masked one resolved), and whether another
    /// build could as well have owned it.
    private func attribute(_ line: BuildKitLine, header: VertexName?, hash: UInt64, textHash: UInt64, digest: UInt64?, key: String?,
                           time: Double?) -> (BuildState, Int, Bool) {
        let number = line.vertex
        if let key {
            let build = registry.build(forKey: key, time: time)
            return (build, number >= 0 ? number : (header != nil ? build.maxVertex + 1 : build.maskedVertex ?? build.current ?? 0), false)
        }
        if number >= 0, !targetVertices.isEmpty, let build = targetVertices[number], !build.isFinished {
            return (build, number, false)
        }
        if let header, let target = header.firstWord, target != "internal", target != "auth",
           targets.contains(target) || (header.isInternal && header.prefix == target) {
            targets.insert(target)
            let build = registry.build(forKey: target, time: time)
            if number >= 0 { targetVertices[number] = build }
            return (build, number >= 0 ? number : build.maxVertex + 1, false)
        }
        if let header, header.isTrailing, number >= 0, let last = registry.lastClosed, last.maxVertex == number - 1,
           !registry.unkeyed.contains(where: { $0.maxVertex == number - 1 }) {
            // A block printed after the build's export (`exporting cache`): that build's, open again until it ends.
            registry.reopen(last)
            return (last, number, false)
        }
        let candidates = registry.unkeyed
        attributedLines += 1
        if let clear, header == nil, number >= 0, number == clear.number {
            // The next line of a vertex whose last line (the line just before) no other build came near: nothing any
            // build holds has changed since, and the line brings no evidence of its own (a status line, or output in
            // the same burst; timed output at a new stamp is weighed).
            var reuse = false
            switch line.kind {
            case .output: reuse = time == lastTime
            case .text: reuse = digest == nil
            default: break
            }
            if reuse, let vertex = clear.build.vertices[number], !vertex.isTerminal, registry.unkeyed.contains(where: { $0 === clear.build }) {
                return (clear.build, number, false)
            }
        }
        self.clear = nil
        if number >= 0, let only = onlyPossibleOwner(of: number, header: header, hash: hash, kind: line.kind, among: candidates) {
            // Hard facts leave one build: the weighing would only confirm it. A header that breaks one of its softer
            // facts all the same (a `FROM` of an image it loaded no metadata for) says its past may be another's.
            clear = header == nil ? (only, number) : nil
            if header != nil, candidates.count > 1 {
                let weighed = BuildKitAttribution.Line(number: number, kind: line.kind, header: header, headerHash: hash, text: line.text, time: time)
                let tolerance = finerTimes ? 0.25 : 1.0
                if BuildKitAttribution.cost(weighed, number: number, in: only, tolerance: tolerance).0 >= BuildKitAttribution.Cost.contradiction {
                    only.contradictedLines += 1
                }
            }
            if let vertex = only.vertices[number] { settleEnds(touching: vertex) }
            lastTime = time
            return (only, number, false)
        }
        var attributed = BuildKitAttribution.Line(number: number, kind: line.kind, header: header, headerHash: hash, text: line.text, time: time)
        attributed.textHash = textHash
        if let digest {
            attributed.digest = digest
            attributed.digestImage = digests[digest]
        }
        defer { lastTime = time }
        let tolerance = finerTimes ? 0.25 : 1.0
        var isEnd = false
        switch line.kind {
        case .done, .cached: isEnd = true
        default: break
        }
        guard var choice = BuildKitAttribution.choose(attributed, among: candidates, last: lastBuild, lastTime: lastTime, tolerance: tolerance,
                                                      withAlternatives: isEnd) else {
            let build = registry.start(.buildkit, time: time)
            return (build, number >= 0 ? number : 1, false)
        }
        recentEnds.removeAll { $0.first.map { attributedLines - $0.line > 12 } ?? true }
        // A line that fits nowhere well, or that leaves the build of the line before within one fine stamp (one
        // burst of one build), may tell where an end line before it belonged.
        let leavesBurst = finerTimes && time != nil && time == lastTime && choice.build !== lastBuild
        if choice.cost >= BuildKitAttribution.Cost.contradiction * 1.5 || leavesBurst, !recentEnds.isEmpty {
            reconsiderEnds(for: attributed, among: candidates, tolerance: tolerance, choice: &choice)
        }
        if choice.isClear, header == nil { clear = (choice.build, choice.number) }
        if let vertex = choice.build.vertices[choice.number] { settleEnds(touching: vertex) }
        if header == nil, isEnd { rememberEnd(line.kind, time: time, choice: choice) }
        if header != nil, choice.cost >= BuildKitAttribution.Cost.outOfOrder, number >= 0, number <= 2 || !sawBuildStart && choice.cost >= BuildKitAttribution.Cost.renamed {
            // A build that did not announce itself (BuildKit before 0.12 prints no `#0 building with`) starts at #1.
            // Past its first vertices, a header no build can take starts a build only in an excerpt: where every
            // build so far began with its definition, a new one would too.
            if number <= 2 || candidates.allSatisfy({ $0.vertices[number] != nil }) && !candidates.allSatisfy({ $0.order.first?.isDefinition == true }) {
                return (registry.start(.buildkit, time: time), number, false)
            }
        }
        if header == nil, choice.cost >= BuildKitAttribution.Cost.impossible {
            // A vertex whose header is not in the log (an excerpt): the newest build takes it.
            let build = candidates.last!
            return (build, number >= 0 ? number : build.maxVertex + 1, false)
        }
        let alike = BuildKitAttribution.forks(of: attributed, chosen: choice, among: candidates, last: lastBuild, lastTime: lastTime, tolerance: tolerance)
        if !alike.isEmpty {
            let settled = (0...max(0, choice.build.maxVertex)).filter { choice.build.vertices[$0]?.isTerminal == true }
            for (index, fork) in alike.enumerated() {
                forks.record(.init(chosen: choice.build, other: fork.build, line: attributedLines, traceIndex: trace?.count ?? 0, extra: fork.extra,
                                   counted: choice.ambiguous && index == 0, settled: settled))
            }
        }
        if choice.contradicts { choice.build.contradictedLines += 1 }
        return (choice.build, choice.number, choice.ambiguous)
    }

    /// Lines that could have gone to a build alike but for its definition, until a name tells.
    private var forks = DefinitionForks()

    /// A build named by its export: the command line of its tag says which Dockerfile it loaded, which may exchange
    /// its preamble with another build's (see `DefinitionForks`).
    private func reconcileDefinition(of build: BuildState) {
        guard !forks.isEmpty, build.name != nil else { return }
        exchanged(forks.reconcile(build, fit: definitionFit))
    }

    /// Moves the trace's lines before a fork whose builds exchanged their pasts.
    private func exchanged(_ fork: DefinitionForks.Fork?) {
        guard let fork, trace != nil else { return }
        let a = builds.firstIndex { $0 === fork.chosen } ?? -2, b = builds.firstIndex { $0 === fork.other } ?? -2
        for index in 0..<min(fork.traceIndex, trace!.count) {
            if trace![index] == a { trace![index] = b } else if trace![index] == b { trace![index] = a }
        }
    }

    /// How well a Dockerfile fits a build by its name (see `DefinitionForks.Fit`); nil when nothing names it.
    private func definitionFit(_ file: String, _ build: BuildState) -> Int? {
        guard let name = build.name else { return nil }
        if let command = commandsByTag[name + ":" + (build.tag ?? "")] {
            return command.dockerfileName == file ? DefinitionForks.Fit.commandLine : DefinitionForks.Fit.none
        }
        return BuildCommand.fit(dockerfile: file, image: name)
    }

    /// An end line stays movable until one of its vertices gets another line (or 12 lines pass).
    private func settleEnds(touching vertex: VertexState) {
        recentEnds.removeAll { ends in ends.contains { $0.fromVertex === vertex || $0.toVertex === vertex } }
    }

    /// Keeps an end line whose next best builds were not far behind, to move it if a line soon after fits nowhere.
    private func rememberEnd(_ kind: BuildKitLine.Kind, time: Double?, choice: BuildKitAttribution.Choice) {
        guard !choice.alternatives.isEmpty, let from = choice.build.vertices[choice.number], !from.isTerminal else { return }
        var status = StepStatus.cached, duration: Double?
        if case .done(let seconds) = kind { status = .done; duration = seconds }
        let ends = choice.alternatives.compactMap { alternative -> MovableEnd? in
            guard let to = alternative.build.vertices[alternative.number], !to.isTerminal else { return nil }
            return MovableEnd(time: time, line: attributedLines, extra: alternative.extra, ambiguous: choice.ambiguous, status: status,
                              duration: duration, from: choice.build, fromVertex: from, to: alternative.build, toVertex: to,
                              fromStatus: from.status, fromDuration: from.duration, fromCurrent: choice.build.current,
                              toStatus: to.status, toDuration: to.duration, toCurrent: alternative.build.current, traceIndex: trace?.count ?? 0)
        }
        guard !ends.isEmpty else { return }
        recentEnds.append(ends)
        if recentEnds.count > 4 { recentEnds.removeFirst() }
    }

    /// An end line given to one build when another was nearly as likely, kept until a later line tells.
    private struct MovableEnd {
        var time: Double?
        /// Which attributed line it was (see `attributedLines`).
        var line: Int
        /// How much more the other build cost, and whether the line was counted ambiguous.
        var extra: Double
        var ambiguous: Bool
        /// The status and duration the end line gives.
        var status: StepStatus, duration: Double?
        var from: BuildState, fromVertex: VertexState
        var to: BuildState, toVertex: VertexState
        /// What each vertex and build had before the end line.
        var fromStatus: StepStatus, fromDuration: Double?, fromCurrent: Int?
        var toStatus: StepStatus, toDuration: Double?, toCurrent: Int?
        var traceIndex: Int
    }

    /// The one build a line can go to by the hard facts alone, if only one: for a header, the one build that has that
    /// number next and no build printing it again; for another line, the one build holding that vertex open (when the
    /// others that hold it have ended it, and the line is not an end of a vertex another build ended: a restart).
    private func onlyPossibleOwner(of number: Int, header: VertexName?, hash: UInt64, kind: BuildKitLine.Kind, among candidates: [BuildState]) -> BuildState? {
        guard candidates.count > 1 else { return nil }
        var only: BuildState?
        if header != nil {
            for build in candidates {
                if let existing = build.vertices[number] {
                    if existing.nameHash == hash { return nil }
                } else if build.maxVertex == number - 1, !build.names.contains(hash) {
                    if only != nil { return nil }
                    only = build
                } else if build.maxVertex < number - 1, !build.announced {
                    return nil
                }
            }
            return only
        }
        for build in candidates {
            guard let vertex = build.vertices[number] else { continue }
            if vertex.isTerminal { continue }
            if only != nil { return nil }
            only = build
        }
        guard let only else { return nil }
        // An output or status line must follow its header in its own build (else the weighing decides).
        switch kind {
        case .output, .text: return only.current == number ? only : nil
        default: return only
        }
    }

    /// BuildKit lines attributed among unprefixed builds so far.
    private var attributedLines = 0

    /// The build and vertex of the last line when no other build came near it.
    private var clear: (build: BuildState, number: Int)?

    /// The last few end lines that another build could nearly as well have owned, with each alternative.
    private var recentEnds: [[MovableEnd]] = []

    /// When a line fits no build well, an end line given shortly before may have gone to the wrong build: tries
    /// each recent one's alternatives and keeps the move that makes both lines cost least together.
    private func reconsiderEnds(for line: BuildKitAttribution.Line, among candidates: [BuildState], tolerance: Double,
                                choice: inout BuildKitAttribution.Choice) {
        var best: (cost: Double, group: Int, end: MovableEnd, choice: BuildKitAttribution.Choice)?
        for (group, ends) in recentEnds.enumerated().reversed() {
            for end in ends {
                move(end)
                // Moving the line just before moves the burst it continues.
                let last = end.line == attributedLines - 1 ? end.to : lastBuild
                if let moved = BuildKitAttribution.choose(line, among: candidates, last: last, lastTime: lastTime, tolerance: tolerance, withAlternatives: false),
                   moved.cost + end.extra + BuildKitAttribution.Cost.margin <= min(choice.cost, best?.cost ?? .infinity) {
                    best = (moved.cost + end.extra, group, end, moved)
                }
                move(end, back: true)
            }
        }
        guard let best else { return }
        move(best.end)
        choice = best.choice
        recentEnds.remove(at: best.group)
        if trace != nil, best.end.traceIndex < trace!.count { trace![best.end.traceIndex] = builds.firstIndex { $0 === best.end.to } ?? -1 }
    }

    /// Moves an end line from the build it was given to the other one, or back: the giving vertex gets back what it had
    /// before the line, the taking one gets the line. Once moved, the line counts as settled by a later one (ambiguous
    /// for the taker) and no longer as the giver's own doubt; moving back undoes exactly that.
    private func move(_ end: MovableEnd, back: Bool = false) {
        let (giver, giving) = back ? (end.to, end.toVertex) : (end.from, end.fromVertex)
        let (taker, taking) = back ? (end.from, end.fromVertex) : (end.to, end.toVertex)
        let before = back ? (end.toStatus, end.toDuration, end.toCurrent) : (end.fromStatus, end.fromDuration, end.fromCurrent)
        set(giving, before.0, in: giver)
        giving.duration = before.1
        giver.current = before.2
        set(taking, end.status, in: taker)
        taking.duration = end.duration
        taker.current = taking.vertex
        // The taker counts the moved line in doubt; moved back, it counts as the giver first did.
        forks.moved(line: end.line, from: giver, to: taker, counted: !back || end.ambiguous)
        let doubt = end.ambiguous ? 1 : 0
        end.to.ambiguousLines += back ? -1 : 1
        end.from.ambiguousLines += back ? doubt : -doubt
    }

    /// The latest status lines of exports, with what their build and vertex had before each: an export prints its
    /// statuses and its `DONE` in one go, and when several builds export under one number, the `DONE`'s time tells
    /// whose they were better than the statuses do.
    private struct ExportStatus {
        var text: [UInt8]
        var line: Int
        var traceIndex: Int
        var build: BuildState, vertex: VertexState
        var name: String?, tag: String?, stage: Int, showed: Bool
    }
    private var exportStatuses: [ExportStatus] = []

    private func rememberExportStatus(_ text: UnsafeBufferPointer<UInt8>, of vertex: VertexState, in build: BuildState) {
        exportStatuses.removeAll { attributedLines - $0.line > 6 }
        if exportStatuses.count >= 8 { exportStatuses.removeFirst() }
        exportStatuses.append(ExportStatus(text: Array(text), line: attributedLines, traceIndex: trace?.count ?? 0, build: build, vertex: vertex,
                                           name: build.name, tag: build.tag, stage: vertex.exportStage, showed: vertex.showedStatus))
    }

    /// An export ends having shown no work: the statuses just before it under its number, given to another build's
    /// export, were its own. They move, with the name they gave.
    private func takeExportStatuses(of number: Int, to build: BuildState, _ vertex: VertexState) {
        let moving = exportStatuses.filter { $0.build !== build && $0.vertex.vertex == number && attributedLines - $0.line <= 6 && !$0.vertex.isTerminal }
        guard let first = moving.first, moving.allSatisfy({ $0.build === first.build }) else { return }
        (first.build.name, first.build.tag) = (first.name, first.tag)
        first.vertex.exportStage = first.stage
        first.vertex.showedStatus = first.showed
        for status in moving {
            status.text.withUnsafeBufferPointer { text in
                self.status(text, of: vertex, in: build)
                vertex.exportStage = max(vertex.exportStage, BuildKitAttribution.exportStage(text))
            }
            if trace != nil, status.traceIndex < trace!.count { trace![status.traceIndex] = builds.firstIndex { $0 === build } ?? -1 }
        }
        vertex.showedStatus = true
        exportStatuses.removeAll { status in moving.contains { $0.line == status.line } }
    }

    // MARK: - Failure summaries

    /// ` > [api 7/8] RUN ...:` opens the block that repeats the failing step's last output.
    private func startErrorTail(failingStep: String, time: Double?) {
        inErrorTail = true
        let build = errorBuild(time: time)
        build.addError(failingStep.trimmingCharacters(in: .whitespaces))
        build.outcome = .failed
        var name = failingStep.trimmingCharacters(in: .whitespaces).dropFirst(2)
        if name.hasSuffix(":") { name = name.dropLast() }
        let parsed = VertexName(String(name))
        if !build.order.contains(where: { $0.status == .failed }) {
            if let running = build.order.last(where: { $0.name.instruction == parsed.instruction && $0.name.index == parsed.index }) {
                running.status = .failed
            } else {
                declarations += 1
                let vertex = build.declare(-declarations, name: String(name), time: time)
                vertex.status = .failed
            }
        }
    }

    /// The build an unprefixed failure line belongs to: the one that failed last, else the newest open one.
    private func errorBuild(time: Double?) -> BuildState {
        if let failed = registry.lastFailed, inErrorTail || registry.open.contains(where: { $0 === failed }) { return failed }
        let build = registry.open.last(where: { $0.outcome != .succeeded }) ?? registry.start(.buildkit, time: time)
        registry.lastFailed = build
        return build
    }

    // MARK: - Names

    /// Names the builds the log did not name (a failed build prints no `naming to`) from the `docker build` command
    /// lines it shows: the command whose Dockerfile the build loaded, else the one command left for the one build
    /// left; else the Dockerfile's file name.
    func nameUnnamedBuilds() {
        let unnamed = registry.builds.filter { $0.name == nil && (!$0.order.isEmpty || !$0.errorLines.isEmpty) }
        guard !unnamed.isEmpty else { return }
        assignDefinitions()
        let named = Set(builds.compactMap(\.name))
        var unclaimed = commands.filter { command in
            !command.tags.contains { named.contains(BuildState.split(reference: Substring($0)).name) }
        }
        var left: [BuildState] = []
        for build in unnamed {
            let matching = unclaimed.indices.filter { build.dockerfile != nil && unclaimed[$0].dockerfileName == build.dockerfile }
            if matching.count == 1, let tag = unclaimed[matching[0]].tags.first {
                build.name(fromReference: Substring(tag))
                unclaimed.remove(at: matching[0])
            } else {
                left.append(build)
            }
        }
        if left.count == 1, unclaimed.count == 1, let tag = unclaimed[0].tags.first {
            left[0].name(fromReference: Substring(tag))
            return
        }
        var taken = Set(builds.compactMap(\.name))
        for build in left {
            guard let file = build.dockerfile, !taken.contains(file) else { continue }
            build.name = file
            taken.insert(file)
        }
    }

    /// Gives each build the definition that fits it, by elimination: a build that its name ties to another build's
    /// Dockerfile (its command line, or a file named after it) while that build's own fits it no better, exchanges
    /// Dockerfiles with it. A build that nothing names (a failed one prints no `naming to`) fits every Dockerfile
    /// alike, so it ends with the one no name claims. Only the definitions are exchanged: where the lines' owners
    /// could be exchanged with them, a fork did so already (see `DefinitionForks`).
    private func assignDefinitions() {
        let builds = registry.builds.filter { $0.dockerfile != nil && $0.key == nil && $0.builder == .buildkit && !$0.siblings.isEmpty }
        guard builds.count > 1 else { return }
        func fit(_ file: String?, _ build: BuildState) -> Int { file.flatMap { definitionFit($0, build) } ?? DefinitionForks.Fit.neutral }
        // Only builds open together can hold each other's definitions: each build against its siblings (at most
        // `BuildRegistry.maxParallel`), each pair once.
        let position = Dictionary(builds.enumerated().map { (ObjectIdentifier($1), $0) }, uniquingKeysWith: { a, _ in a })
        // In the order the builds started, for the same result every time.
        let partners = builds.enumerated().map { i, build in build.siblings.compactMap { position[$0] }.filter { $0 > i }.sorted() }
        var improved = true, rounds = 0
        while improved, rounds < BuildRegistry.maxParallel {
            improved = false
            rounds += 1
            for (i, a) in builds.enumerated() {
                for j in partners[i] {
                    let b = builds[j]
                    guard fit(b.dockerfile, a) + fit(a.dockerfile, b) > fit(a.dockerfile, a) + fit(b.dockerfile, b) else { continue }
                    swap(&a.dockerfile, &b.dockerfile)
                    improved = true
                }
            }
        }
    }

    /// `[flask] #5 ...`: a stream prefix a deploy script added to tell parallel builds apart.
    private static func streamPrefix(_ text: UnsafeBufferPointer<UInt8>) -> (String, UnsafeBufferPointer<UInt8>)? {
        guard let close = text.firstIndex(of: UInt8(ascii: "]")), close > 1, close + 2 < text.count,
              text[close + 1] == UInt8(ascii: " "), text[close + 2] == UInt8(ascii: "#")
        else { return nil }
        let name = UnsafeBufferPointer(rebasing: text[1..<close])
        guard !name.contains(UInt8(ascii: " ")) else { return nil }
        return (name.string, UnsafeBufferPointer(rebasing: text[(close + 2)...]))
    }


    /// The number after `marker` in `text`, e.g. `exit code: 1`.
    static func exitCode(in text: String, after marker: String) -> Int? {
        guard let range = text.range(of: marker, options: .backwards) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
}
