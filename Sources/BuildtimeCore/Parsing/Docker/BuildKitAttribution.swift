/// Chooses the build that an unprefixed BuildKit plain-progress line belongs to, when several `docker build`
/// processes write into one log and each numbers its vertices from `#0`.
///
/// Each build's own stream obeys BuildKit's printer (moby/buildkit `util/progress/progressui/printer.go`); these are
/// the facts a candidate build is checked against, hard ones first:
/// 1. **Dense numbering.** A build numbers vertices from 0 in the order it first displays them, so a new header takes
///    its build's next number. (An excerpt without `#0 building with` may start anywhere.)
/// 2. **One name per number.** A header for a number the build holds under another name is another build's; a name
///    the build already holds under another number is another build's too, and so is a step at a position (stage
///    and index) the build already has. A build loads its definition (`[internal] load build definition from ...`)
///    once, as its first vertex: that header again starts another build.
/// 3. **Lines follow their header.** Before the lines of a vertex it switches to, the printer prints the vertex's
///    header again (after `#N ...` when it left it running), so a status, output or end line of `#N` belongs to a
///    build whose current vertex is N (an end weighs this less: see `Cost.endElsewhere`). After an end no vertex is
///    current: the build's next line is a header. A header comes again only after its `#N ...` (or after its end,
///    for a restart).
/// 4. **One end per display.** A vertex gets one terminal line (`CACHED`, `DONE`, `ERROR`, `CANCELED`); BuildKit can
///    restart a vertex (the build context), and then prints its header again before the next end. An export is never
///    `CACHED`.
/// 5. **Times count from the vertex's start.** `#N 12.345 text` and `DONE 12.3s` written at time t mean the vertex
///    started near t − 12.3, and the output's seconds only grow (so do a transfer's, `transferring context: 2.5MB 1.2s`,
///    which count from its vertex's start, and so do its bytes); a `DONE` cannot exceed the time since the vertex
///    was first shown (plus the time it had before a restart).
///    A layer's progress (`sha256:<digest> 3.2MB / 9MB`, `extracting sha256:...`) belongs to a vertex that pulls an
///    image, never to an `[internal] load ...` one.
///    The frontend resolves every base image (`[internal] load metadata for ...`) before it solves the definition, so
///    a build shows `load .dockerignore` and `load build context` only once its metadata vertices have ended (older
///    BuildKit shows `.dockerignore` first, before any metadata, which this leaves free).
/// 6. **Order within a build.** A Dockerfile's `[stage k/N]` totals agree within a stage: only a vertex shared by two
///    builds on one daemon carries the name the other build gave it, and that build shows the same name; a `FROM`
///    names an image whose metadata the build loaded; exporting comes once, after the build's last step, and shows
///    its work (`exporting layers`, `writing image`, `naming to`, which only an export prints) before its `DONE`. A
///    stage's steps run one after the other, each on the result of the one before: a step shows once the step before
///    it has ended (its input). A step's `[k/N]` says less of a build's total when another build showed that name
///    first (it may be that build's vertex).
///
/// 7. **A build is its preamble.** Builds started together print the same preamble under other definitions and
///    base images; which preamble a build's first steps continue, only soft facts tell. Its first `FROM` names an
///    image whose metadata it loaded, and the `docker build -f ... -t ...` line of the tag its export names (else a
///    Dockerfile named after the image) says which definition it loaded: the pasts of two builds alike at such a
///    choice are exchanged to agree (`DefinitionForks`).
///
/// Breaking a hard fact costs much more than breaking a soft one; among the builds left, a line goes to the cheapest,
/// then to the build of the line before it (builds print in bursts), then to the build whose vertex printed last.
/// Output lines also weigh the moment they state (the same seconds as the vertex's last line: the same moment of the
/// same process) and their text (a process rarely prints the same line twice).
/// A line is counted as ambiguous when another build was nearly as likely, or fit the facts about as well (the
/// preferences for bursts and recency only guess where the facts do not tell), and choosing it would have told a
/// different story (builds of the same Dockerfile in the same state are interchangeable, and choosing either changes
/// nothing), or when it breaks a fact wherever it goes. An end line with a close second is reconsidered when a line
/// soon after fits nowhere well: the two go where they cost least together.
/// The state read is bounded per build: the vertices it declared and a few sets of names.
enum BuildKitAttribution {
    /// The line being attributed.
    struct Line {
        /// The vertex number, or -1 when masked (`#***`).
        var number: Int
        var kind: BuildKitLine.Kind
        /// The vertex name when the line is a header.
        var header: VertexName?
        /// A hash of the header's bytes.
        var headerHash: UInt64
        /// What follows `#N `.
        var text: UnsafeBufferPointer<UInt8>
        var time: Double?
        /// The layer digest a status line names (`sha256:<digest> 3.2MB / 9MB`, `extracting sha256:<digest>`): a
        /// layer's progress belongs to the builds that pull its image.
        var digest: UInt64? = nil
        /// The base image of the vertex that showed this layer first, if one did.
        var digestImage: String? = nil
        /// The hash of an output line's text.
        var textHash: UInt64 = 0
    }

    /// Where the line goes.
    struct Choice {
        var build: BuildState
        /// The vertex number in that build (a masked line's number resolved).
        var number: Int
        /// Whether the line declares a new vertex of the build.
        var isNew: Bool
        /// Whether another build was as likely and would have told a different story.
        var ambiguous: Bool
        /// What the line costs the chosen build's facts (`Cost.impossible` and above: none could take it).
        var cost = 0.0
        /// Whether the line broke a fact of the build, with others open (it broke one wherever it could go).
        var contradicts = false
        /// Whether no other build came near and the line broke no fact.
        var isClear = false
        /// The next best builds that were not far behind, and how much more each cost (end lines only).
        var alternatives: [(build: BuildState, number: Int, extra: Double)] = []
    }

    /// The cost of a fact broken, by how sure the fact is.
    enum Cost {
        static let impossible = 1000.0
        static let renamed = 50.0
        static let outOfOrder = 20.0
        static let secondEnd = 12.0
        static let cachedExport = 20.0
        static let duplicateName = 10.0
        static let export = 8.0
        static let switchedAway = 3.0
        /// A vertex shown again after its end: BuildKit does restart the build context, but rarely, and a header
        /// another build can take as its next vertex is likelier that build's.
        static let restart = 4.0
        /// A finished Dockerfile step shown again: BuildKit restarts its own vertices, not steps.
        static let stepRestart = 8.0
        /// A step after the build's export.
        static let afterExport = 8.0
        /// Output, or `#N ...`, of a vertex that ended.
        static let outputAfterEnd = 8.4
        static let switchAfterEnd = 6.0
        /// A vertex's stated seconds going back.
        static let timeBackwards = 6.0
        /// Progress of a layer another image's pull showed.
        static let foreignLayer = 4.0
        static let unannouncedReprint = 8.0
        /// An end line of a vertex that is not its build's current one. The printer shows the header again before
        /// it, but that re-print is the same text in every build that runs the vertex and often goes to the wrong
        /// one by soft facts alone; the end's own facts (its seconds) then tell better. (6 instead of 0.5: 1000
        /// generated logs read 87.8% of lines right, against 88.9%.)
        static let endElsewhere = 0.5
        static let stageTotal = 2.0
        /// A step whose `[k/N]` total is not the build's and that no other build shows: only a vertex shared with
        /// another build carries that build's name.
        static let foreignTotal = 12.0
        static let unloadedImage = 6.0
        /// A step shown while the step before it in its stage has not ended.
        static let stepBeforeItsInput = 6.0
        static let statusKind = 4.0
        /// The build context loaded while a base image's metadata is still loading.
        static let contextBeforeMetadata = 6.0
        static let silentExport = 6.0
        static let exportOrder = 6.0
        /// A build alike but for its definition that cost at most this much more could as well have taken the line.
        static let forkBound = 8.0
        /// Two builds within this much of each other are as likely.
        static let margin = 2.0
        /// A line costing this much breaks a fact wherever it goes.
        static let contradiction = 4.0
        /// An end line whose next best build was within this much is reconsidered with the line after it.
        static let reconsider = 4.0
        /// Preference for the build of the previous line (bursts of 1 to 20 lines), and when both lines carry the
        /// same fine stamp.
        static let continuity = 1.5
        static let sameStamp = 3.0
        static let sameSecond = 0.3
        /// An output line at other seconds than the vertex's last one.
        static let newMoment = 1.5
        static let repeatedText = 3.0
        /// Seconds of silence in a vertex's output that cost as much as a new moment.
        static let outputGap = 20.0
        /// Preference for the build that showed the vertex last.
        static let recency = 0.1
    }

    /// The best build for `line` among the open unprefixed BuildKit builds, or nil when there is none.
    /// `tolerance` is how far apart two times of the log may be for the same moment (its stamps' resolution).
    static func choose(_ line: Line, among builds: [BuildState], last: BuildState?, lastTime: Double?, tolerance: Double,
                       withAlternatives: Bool) -> Choice? {
        let continuity = self.continuity(line, lastTime: lastTime, tolerance: tolerance)
        if builds.count == 1, let only = builds.first {
            // One build open: nothing to choose, only whether the line breaks one of its facts.
            let number = resolvedNumber(line, in: only)
            let (cost, isNew) = self.cost(line, number: number, in: only, tolerance: tolerance)
            var choice = Choice(build: only, number: number, isNew: isNew, ambiguous: false, cost: cost)
            choice.isClear = true
            return choice
        }
        // The cheapest and the next cheapest, by their place in `builds` (no `Choice` copied per build). Each build's
        // facts are weighed once; the preference for the build that showed the vertex last is added after, from
        // the vertices the weighing read.
        var best = -1, bestCost = 0.0, bestNumber = 0, bestIsNew = false
        var second = -1, secondCost = 0.0, secondNumber = 0, secondIsNew = false
        var all: [(index: Int, cost: Double, number: Int)] = []
        var close: [(index: Int, number: Int, isNew: Bool)] = []
        if withAlternatives { all.reserveCapacity(builds.count) }
        withUnsafeTemporaryAllocation(of: (cost: Double, number: Int, isNew: Bool).self, capacity: builds.count) { weighed in
            // The build whose vertex `line.number` was shown last (the first of equals), as `mostRecentlyShown`.
            let prefersRecent = line.header == nil && line.number >= 0
            var newest = -1, newestShown = 0.0
            for index in builds.indices {
                var shown: Double?
                let weight = weigh(line, in: builds[index], among: builds, last: last, continuity: continuity, tolerance: tolerance, shown: &shown)
                (weighed.baseAddress! + index).initialize(to: weight)
                if prefersRecent, let shown, newest < 0 || shown > newestShown { (newest, newestShown) = (index, shown) }
            }
            for index in builds.indices {
                var (cost, number, isNew) = weighed[index]
                if newest >= 0, index != newest { cost += Cost.recency }
                if withAlternatives { all.append((index, cost, number)) }
                if best < 0 || cost < bestCost {
                    (second, secondCost, secondNumber, secondIsNew) = (best, bestCost, bestNumber, bestIsNew)
                    (best, bestCost, bestNumber, bestIsNew) = (index, cost, number, isNew)
                } else if second < 0 || cost < secondCost {
                    (second, secondCost, secondNumber, secondIsNew) = (index, cost, number, isNew)
                }
            }
            // The facts alone, without the preferences for the build of the line before and for the one that showed
            // the vertex last (guesses where the facts do not tell): the builds whose facts the line fits about as
            // well as the chosen one's.
            if best >= 0, bestCost < Cost.impossible {
                func facts(_ index: Int) -> Double { weighed[index].cost - (last != nil && builds[index] !== last ? continuity : 0) }
                let own = facts(best)
                for index in builds.indices where index != best && weighed[index].cost < Cost.impossible && facts(index) - own < Cost.margin {
                    close.append((index, weighed[index].number, weighed[index].isNew))
                }
            }
            _ = weighed.deinitialize()
        }
        guard best >= 0 else { return nil }
        let cost = bestCost
        var chosen = Choice(build: builds[best], number: bestNumber, isNew: bestIsNew, ambiguous: false)
        chosen.cost = cost
        if second >= 0, cost < Cost.impossible, secondCost - cost < Cost.margin,
           !interchangeable(chosen, Choice(build: builds[second], number: secondNumber, isNew: secondIsNew, ambiguous: false), line: line, tolerance: tolerance) {
            chosen.ambiguous = true
        }
        // A line another build could take at no greater cost to its facts is no exact reading either.
        if !chosen.ambiguous, close.contains(where: { !interchangeable(chosen, Choice(build: builds[$0.index], number: $0.number, isNew: $0.isNew, ambiguous: false),
                                                                      line: line, tolerance: tolerance) }) {
            chosen.ambiguous = true
        }
        // A line that breaks a fact of every build it could go to is no exact reading either.
        if builds.count > 1, cost >= Cost.contradiction, cost < Cost.impossible { chosen.ambiguous = true; chosen.contradicts = true }
        chosen.isClear = cost < Cost.contradiction && (second < 0 || secondCost - cost >= Cost.reconsider)
        if withAlternatives, cost < Cost.impossible {
            chosen.alternatives = all.filter { $0.index != best && $0.cost - cost < Cost.reconsider }
                .sorted { $0.cost < $1.cost }
                .map { (builds[$0.index], $0.number, $0.cost - cost) }
        }
        return chosen
    }

    /// The builds alike but for their definition with `chosen` that could as well have taken `line`, and how much
    /// more each cost. Builds started together show the same preamble under other definitions: which of them a line
    /// of it continues, only soft facts tell, and the build's name (its command line's Dockerfile) may tell better
    /// later (see `DefinitionForks`).
    static func forks(of line: Line, chosen: Choice, among builds: [BuildState], last: BuildState?, lastTime: Double?,
                      tolerance: Double) -> [(build: BuildState, extra: Double)] {
        guard chosen.cost < Cost.contradiction else { return [] }
        // Most lines have no such build: two words compared per build tell.
        let (shape, preamble) = (chosen.build.anonymousShape, chosen.build.preambleHash)
        var some = false
        for build in builds where build.anonymousShape == shape && build.preambleHash != preamble {
            some = true
            break
        }
        guard some, builds.contains(where: { $0 !== chosen.build && alikeButForPreamble($0, chosen.build) }) else { return [] }
        let continuity = self.continuity(line, lastTime: lastTime, tolerance: tolerance)
        let mostRecent = line.header == nil ? mostRecentlyShown(line.number, among: builds) : nil
        let own = weigh(line, in: chosen.build, among: builds, last: last, continuity: continuity, mostRecent: mostRecent, tolerance: tolerance).cost
        return builds.compactMap { build in
            guard build !== chosen.build, alikeButForPreamble(build, chosen.build) else { return nil }
            let extra = weigh(line, in: build, among: builds, last: last, continuity: continuity, mostRecent: mostRecent, tolerance: tolerance).cost - own
            return extra < Cost.forkBound ? (build, extra) : nil
        }
    }

    /// The printer writes a build's lines in bursts: a line most likely continues the build of the line before,
    /// surely so when both carry the same fine stamp; a new stamp may be any build's.
    private static func continuity(_ line: Line, lastTime: Double?, tolerance: Double) -> Double {
        switch (line.time, lastTime) {
        case (nil, nil): return Cost.continuity
        // Within one whole second several builds print: the same coarse stamp tells little.
        case let (now?, then?) where now == then: return tolerance < 1 ? Cost.sameStamp : Cost.sameSecond
        default: return 0
        }
    }

    /// What `line` costs `build` among `builds`: its facts, and whether it continues the line before's build and
    /// the build that showed its vertex last.
    private static func weigh(_ line: Line, in build: BuildState, among builds: [BuildState], last: BuildState?, continuity: Double,
                              mostRecent: BuildState?, tolerance: Double) -> (cost: Double, number: Int, isNew: Bool) {
        var shown: Double?
        var weight = weigh(line, in: build, among: builds, last: last, continuity: continuity, tolerance: tolerance, shown: &shown)
        if let mostRecent, build !== mostRecent { weight.cost += Cost.recency }
        return weight
    }

    /// The same without the preference for the build that showed the vertex last; `shown` is when the line's vertex
    /// in that build was last shown, when it has one.
    private static func weigh(_ line: Line, in build: BuildState, among builds: [BuildState], last: BuildState?, continuity: Double,
                              tolerance: Double, shown: inout Double?) -> (cost: Double, number: Int, isNew: Bool) {
        let number = resolvedNumber(line, in: build)
        let shared = line.header?.total != nil && builds.contains { $0 !== build && $0.names.contains(line.headerHash) }
        var (cost, isNew) = self.cost(line, number: number, in: build, tolerance: tolerance, sharedName: shared, shown: &shown)
        // A stage's steps run one after the other, each on the result of the one before. (The end of a step one
        // daemon ran for several builds may have gone to another's copy: that step's state says less.)
        if isNew, let header = line.header, let position = header.position, let index = header.index, index > 1,
           let before = build.steps[position - 1], !before.isTerminal, !builds.contains(where: { $0 !== build && $0.names.contains(before.nameHash) }) {
            cost += Cost.stepBeforeItsInput
        }
        if let last, build !== last { cost += continuity }
        return (cost, number, isNew)
    }

    /// Whether two builds have shown the same vertices in the same states, under other definitions (`load build
    /// definition from Dockerfile.flask` and `... from Dockerfile`) or other base images (`load metadata for
    /// python:3.11-slim`, `... for node:20-alpine`): what either did so far the other could have done, so their
    /// pasts can be exchanged.
    static func alikeButForPreamble(_ a: BuildState, _ b: BuildState) -> Bool {
        guard a.anonymousShape == b.anonymousShape, a.preambleHash != b.preambleHash, a.definitionHash != 0, b.definitionHash != 0,
              a.maxVertex == b.maxVertex, a.maxVertex < 24, !a.hasExport, !b.hasExport, a.current == b.current else { return false }
        for number in 0...max(0, a.maxVertex) {
            switch (a.vertices[number], b.vertices[number]) {
            case (nil, nil): continue
            case let (x?, y?) where x.isTerminal == y.isTerminal && x.awaitsReprint == y.awaitsReprint: continue
            default: return false
            }
        }
        return true
    }

    /// A masked number is the build's next one for a header, else the vertex its last masked header was given.
    private static func resolvedNumber(_ line: Line, in build: BuildState) -> Int {
        guard line.number < 0 else { return line.number }
        if line.header != nil { return build.maxVertex + 1 }
        return build.maskedVertex ?? build.current ?? -1
    }

    private static func mostRecentlyShown(_ number: Int, among builds: [BuildState]) -> BuildState? {
        guard number >= 0 else { return nil }
        var newest: (BuildState, Double)?
        for build in builds {
            guard let vertex = build.vertices[number], let shown = vertex.lastTime else { continue }
            if newest == nil || shown > newest!.1 { newest = (build, shown) }
        }
        return newest?.0
    }

    /// What `line` would cost the facts of `build`, and whether it would declare a new vertex there.
    static func cost(_ line: Line, number: Int, in build: BuildState, tolerance: Double, sharedName: Bool = true) -> (Double, Bool) {
        var shown: Double?
        return cost(line, number: number, in: build, tolerance: tolerance, sharedName: sharedName, shown: &shown)
    }

    /// The same, with when the vertex of a line that is no header was last shown, if it was.
    private static func cost(_ line: Line, number: Int, in build: BuildState, tolerance: Double, sharedName: Bool, shown: inout Double?) -> (Double, Bool) {
        if let header = line.header {
            return headerCost(header, hash: line.headerHash, number: number, in: build, sharedName: sharedName)
        }
        guard number >= 0, let vertex = build.vertices[number] else { return (Cost.impossible, false) }
        shown = vertex.lastTime
        var cost = 0.0
        // Every line of a vertex, its end too, follows its header: the printer shows the header again on coming back.
        if build.current != number {
            switch line.kind {
            case .cached, .done, .error, .canceled: cost += Cost.endElsewhere
            default: cost += Cost.switchedAway
            }
        }
        switch line.kind {
        case .cached:
            if vertex.isTerminal { cost += Cost.secondEnd }
            // Only a step's result comes from the cache: an export is always done anew.
            if vertex.kind == .export { cost += Cost.cachedExport }
        case .error, .canceled:
            if vertex.isTerminal { cost += Cost.secondEnd }
        case .done(let seconds):
            if vertex.isTerminal { cost += Cost.secondEnd }
            // An export shows its work (`exporting layers`, `writing image`, `naming to`) before it is done.
            if vertex.kind == .export, !vertex.showedStatus { cost += Cost.silentExport }
            if let seconds { cost += timing(ended: seconds, at: line.time, vertex, tolerance: tolerance) }
        case .output(let seconds):
            if vertex.isTerminal { cost += Cost.outputAfterEnd }
            // Timed output is a process's: a `RUN` prints it, a `COPY`, a `FROM`, BuildKit's own vertices never do.
            if !vertex.kind.runsAProcess { cost += Cost.statusKind }
            // A process rarely prints the same text twice (`Downloaded numpy` once per build).
            if vertex.printed(line.textHash) { cost += Cost.repeatedText }
            if let seconds { cost += timing(output: seconds, at: line.time, vertex, tolerance: tolerance) }
        case .ignorable:
            if vertex.isTerminal, line.text.count == 3 { cost += Cost.switchAfterEnd }
        case .text:
            cost += statusCost(line.text, of: vertex)
            // A layer belongs to the image pulled: builds of the same base show the same layers.
            if let digest = line.digest, let image = line.digestImage, !build.digests.contains(digest), vertex.name.fromImage != image {
                cost += Cost.foreignLayer
            }
            // A status (a layer download, a transfer) starts after its vertex: its time only bounds the vertex's.
            if let seconds = statusSeconds(line.text) {
                if let time = line.time, let shown = shownFor(vertex, at: time), seconds > shown + tolerance {
                    cost += min(6, (seconds - shown - tolerance) / tolerance + 1)
                }
                // A transfer is its vertex's one piece of work: its seconds count from the vertex's start and only
                // grow.
                if line.text.starts(with: Prefix.transferring) {
                    if let last = vertex.lastTransferSeconds, seconds + 0.05 < last { cost += Cost.timeBackwards }
                    // Its bytes are the bytes sent so far: they only grow too.
                    if let last = vertex.lastTransferBytes, let bytes = transferBytes(line.text), bytes < last { cost += Cost.timeBackwards }
                    if let time = line.time { cost += startGap(time - seconds, vertex, tolerance: tolerance) }
                }
            }
        case .buildStart:
            break
        }
        return (cost, false)
    }

    private static func headerCost(_ header: VertexName, hash: UInt64, number: Int, in build: BuildState, sharedName: Bool) -> (Double, Bool) {
        if let existing = build.vertices[number] {
            guard existing.nameHash == hash else { return (Cost.renamed, false) }
            // A build loads its definition once: its header again, but for the re-print after its `#1 ...`, starts
            // another build (builds without `#0 building with` begin there).
            if existing.isDefinition, !existing.awaitsReprint || build.current == number { return (Cost.renamed, false) }
            // Printed again on switching back to it (after its `#N ...`), or a restart after its end; never twice
            // in a row.
            if build.current == number { return (Cost.secondEnd, false) }
            // BuildKit restarts its own vertices (the build context), not a Dockerfile step that ended, and a build
            // loads its definition once: that header again is another build's.
            if existing.isTerminal {
                return (existing.isDefinition ? Cost.renamed : existing.isStep ? Cost.stepRestart : Cost.restart, false)
            }
            return (existing.awaitsReprint ? 0 : Cost.unannouncedReprint, false)
        }
        var cost = 0.0
        if number != build.maxVertex + 1 {
            cost += number <= build.maxVertex ? Cost.outOfOrder : build.announced || build.maxVertex >= 0 ? Cost.outOfOrder : 0
        }
        if build.names.contains(hash) { cost += Cost.duplicateName }
        if header.index != nil {
            if let position = header.position, build.steps[position] != nil { cost += Cost.duplicateName }
            if let total = header.total, let known = build.total(of: header.prefix ?? ""), known != total {
                cost += sharedName ? Cost.stageTotal : Cost.foreignTotal
            }
            if let image = header.fromImage, !build.metadata.isEmpty, !build.metadata.contains(image) {
                cost += Cost.unloadedImage
            }
            if build.hasExport { cost += Cost.afterExport }
        } else if header.loadsContext {
            if build.openMetadata > 0 { cost += Cost.contextBeforeMetadata }
        } else if header.isExport {
            if build.hasExport { cost += Cost.duplicateName }
            if build.openSteps > 0 || build.stageTotals.isEmpty { cost += Cost.export }
            if build.stepsToCome > 0 { cost += Cost.export }
        }
        return (cost, true)
    }

    /// A status line that names what only some vertices do.
    private static func statusCost(_ text: UnsafeBufferPointer<UInt8>, of vertex: VertexState) -> Double {
        guard let first = text.first else { return 0 }
        let kind = vertex.kind
        switch first {
        case UInt8(ascii: "n") where text.starts(with: Prefix.namingTo), UInt8(ascii: "w") where text.starts(with: Prefix.writingImage),
             UInt8(ascii: "e") where text.starts(with: Prefix.exportingStatus), UInt8(ascii: "u") where text.starts(with: Prefix.unpackingTo):
            guard kind == .export else { return Cost.statusKind }
            // An export shows its work once and in order: layers, manifest and config, the image, its names.
            let stage = exportStage(text)
            return stage < vertex.exportStage || stage == vertex.exportStage && stage != 2 && stage != 4 ? Cost.exportOrder : 0
        case UInt8(ascii: "t") where text.starts(with: Prefix.transferring):
            return kind == .internal ? 0 : Cost.statusKind
        case UInt8(ascii: "r") where text.starts(with: Prefix.resolve):
            return kind == .from || kind == .internal ? 0 : Cost.statusKind
        case UInt8(ascii: "e") where text.starts(with: Prefix.extracting):
            return kind == .from || kind == .internal && !vertex.pullsNoLayers ? 0 : Cost.statusKind
        case UInt8(ascii: "s") where text.starts(with: Prefix.sha256):
            // A layer's progress: an image pulled (a `FROM`, a cache import, a step's cache), never a file loaded.
            return vertex.pullsNoLayers ? Cost.statusKind : 0
        default:
            return 0
        }
    }

    /// Where an export's status comes in its work: `exporting layers` 1, `exporting manifest`/`config`/... 2,
    /// `writing image` 3, `naming to` 4 (once per tag), `unpacking to` 5.
    static func exportStage(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        if text.starts(with: Prefix.exportingLayers) { return 1 }
        if text.starts(with: Prefix.exportingStatus) { return 2 }
        if text.starts(with: Prefix.writingImage) { return 3 }
        if text.starts(with: Prefix.namingTo) { return 4 }
        return text.starts(with: Prefix.unpackingTo) ? 5 : 0
    }

    /// The hash of the layer digest a status line names, if it names one.
    static func layerDigest(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var start = 0
        if text.starts(with: Prefix.extracting) { start = 11 } else if !text.starts(with: Prefix.sha256) { return nil }
        let end = start + 7 + 64
        guard text.count >= end else { return nil }
        return DockerBuildParser.hash(UnsafeBufferPointer(rebasing: text[(start + 7)..<end]))
    }

    /// The elapsed time a status line states: `transferring context: 2.54MB 12.2s done`, `sha256:… 3.2MB / 9MB 1.5s`.
    static func statusSeconds(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        var end = text.count
        if end > 5, text[end - 5] == UInt8(ascii: " "), text[end - 4] == UInt8(ascii: "d"), text[end - 1] == UInt8(ascii: "e") { end -= 5 }
        guard end > 2, text[end - 1] == UInt8(ascii: "s") else { return nil }
        var start = end - 1
        while start > 0, text[start - 1] != UInt8(ascii: " ") { start -= 1 }
        guard start > 0, start < end - 1 else { return nil }
        return BuildKitLine.decimal(UnsafeBufferPointer(rebasing: text[start..<(end - 1)]))
    }

    /// The bytes a transfer states it sent so far: `transferring context: 2.54MB 1.2s` is 2,540,000 (BuildKit writes
    /// decimal units: `B`, `kB`, `MB`, `GB`; binary ones are read as such).
    static func transferBytes(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let colon = text.firstIndex(of: UInt8(ascii: ":")), colon + 2 < text.count, text[colon + 1] == UInt8(ascii: " ") else { return nil }
        var end = colon + 2
        while end < text.count, text[end] == UInt8(ascii: ".") || text[end] &- UInt8(ascii: "0") < 10 { end += 1 }
        guard end > colon + 2, let number = BuildKitLine.decimal(UnsafeBufferPointer(rebasing: text[(colon + 2)..<end])) else { return nil }
        var unitEnd = end
        while unitEnd < text.count, text[unitEnd] != UInt8(ascii: " ") { unitEnd += 1 }
        let unit = UnsafeBufferPointer(rebasing: text[end..<unitEnd])
        guard let last = unit.last, last == UInt8(ascii: "B") else { return nil }
        let binary = unit.count == 3 && unit[1] == UInt8(ascii: "i")
        guard unit.count == 1 || unit.count == 2 || binary else { return nil }
        let step = binary ? 1024.0 : 1000.0
        let power = switch unit.count == 1 ? UInt8(ascii: "B") : unit[0] {
        case UInt8(ascii: "B"): 0
        case UInt8(ascii: "k"), UInt8(ascii: "K"): 1
        case UInt8(ascii: "M"): 2
        case UInt8(ascii: "G"): 3
        case UInt8(ascii: "T"): 4
        default: -1
        }
        guard power >= 0 else { return nil }
        return (0..<power).reduce(number) { value, _ in value * step }
    }

    /// `#N 12.345 text` at time t: the seconds only grow, and t − 12.345 is the vertex's start.
    private static func timing(output seconds: Double, at time: Double?, _ vertex: VertexState, tolerance: Double) -> Double {
        var cost = 0.0
        if let last = vertex.lastOutputSeconds {
            if seconds + 0.05 < last { cost += Cost.timeBackwards }
            // The same seconds as its last output: the same moment of the same process; else the longer the
            // silence since, the less likely (a process's lines come close together).
            if seconds != last { cost += Cost.newMoment + min(Cost.newMoment, max(0, seconds - last) / Cost.outputGap) }
        } else {
            cost += Cost.newMoment / 2
        }
        if let time { cost += startGap(time - seconds, vertex, tolerance: tolerance) }
        return cost
    }

    /// `DONE 12.3s` at time t: no longer than the vertex was shown (plus its time before a restart), no shorter
    /// than its last output.
    private static func timing(ended seconds: Double, at time: Double?, _ vertex: VertexState, tolerance: Double) -> Double {
        var cost = 0.0
        if let last = vertex.lastOutputSeconds, seconds + 0.15 < last { cost += Cost.timeBackwards }
        if let time {
            if let shown = shownFor(vertex, at: time), seconds > shown + tolerance { cost += min(6, (seconds - shown - tolerance) / tolerance + 1) }
            cost += startGap(time - seconds, vertex, tolerance: tolerance)
        }
        return cost
    }

    /// How long the vertex has been shown at `time` (plus what it had before a restart): no time it states can be
    /// longer.
    private static func shownFor(_ vertex: VertexState, at time: Double) -> Double? {
        vertex.reopenedAt.map { vertex.priorDuration + time - $0 } ?? vertex.firstTime.map { time - $0 }
    }

    /// How far a start implied by a timed line is from the vertex's start as known (its earlier timed lines, else
    /// when its header was first shown), in units of the log's time resolution: the nearest start is likeliest.
    private static func startGap(_ implied: Double, _ vertex: VertexState, tolerance: Double) -> Double {
        guard let start = vertex.startEstimate ?? vertex.firstTime else { return 0 }
        // Lines reach the log a little after they are printed: a gap within the stamps' resolution costs little.
        let gap = abs(implied - start) / tolerance
        return min(4, gap * gap / 2)
    }

    /// Whether giving the line to either build tells the same story: two builds in the same state.
    private static func interchangeable(_ a: Choice, _ b: Choice, line: Line, tolerance: Double) -> Bool {
        if line.header != nil {
            guard a.isNew == b.isNew, a.build.shape == b.build.shape, a.build.maxVertex == b.build.maxVertex else { return false }
            return true
        }
        // Builds of other definitions tell other stories whichever of their vertices a line goes to.
        guard a.build.definitionHash == b.build.definitionHash else { return false }
        guard let x = a.build.vertices[a.number], let y = b.build.vertices[b.number] else { return false }
        // The same progress too: a transfer midway is not one that has not started.
        guard x.nameHash == y.nameHash, x.status == y.status, x.lastOutputSeconds == y.lastOutputSeconds,
              x.lastTransferSeconds == y.lastTransferSeconds, x.lastTransferBytes == y.lastTransferBytes else { return false }
        switch (x.firstTime, y.firstTime) {
        case (nil, nil): return true
        case let (p?, q?): return abs(p - q) <= tolerance
        default: return false
        }
    }
}

extension StepKind {
    /// Whether the vertex runs a process that prints timed output (`#12 1.499 done`): a `RUN`, or a step whose
    /// instruction is not known to print none.
    var runsAProcess: Bool {
        switch self {
        case .run, .other: true
        case .from, .copy, .add, .workdir, .env, .arg, .internal, .export: false
        }
    }
}
