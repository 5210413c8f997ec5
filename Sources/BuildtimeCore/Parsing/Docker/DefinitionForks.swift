/// The moments when a line could have gone to either of two builds that were alike but for their preambles, kept
/// until a build's base image or name tells which preamble was its own.
///
/// Builds started together print the same preamble (`#0 building with ...`, `load metadata for ...`, `load
/// .dockerignore`) under other definitions (`load build definition from Dockerfile.flask`, `... from Dockerfile`)
/// and other base images (`load metadata for python:3.11-slim`, `... for node:20-alpine`). Which preamble a build's
/// first steps continue, nothing in those lines says: the attribution chooses by soft facts (bursts, timing) and the
/// choice is a fork. Two hard facts tell later:
/// - a `FROM` names an image whose metadata its build loaded;
/// - once a build's export names its image, the `docker build -f ... -t ...` command line that made that tag says
///   which Dockerfile it loaded.
/// If the build holds another build's preamble, their pasts before the fork where they were alike are exchanged:
/// every line before it changes build, with the definition, the metadata loaded, the vertices ended by then and the
/// start. Since the two were alike at the fork, either reading is consistent with every other fact; the base image or
/// the name decides between them. A fork that the name confirms, or settles by an exchange, no longer counts as an
/// ambiguous line; an exchange by a base image leaves both builds in doubt (soft facts crossed them once, and may
/// have again since).
///
/// Bounded: at most `capacity` forks are kept, the oldest dropped.
struct DefinitionForks {
    struct Fork {
        /// The build that took the line, and the one that could have.
        var chosen: BuildState, other: BuildState
        /// Which attributed line it was, and where it is in the trace.
        var line: Int, traceIndex: Int
        /// How much more the other build cost; whether the line was counted ambiguous.
        var extra: Double, counted: Bool
        /// The vertices both had ended by then: they exchange with the definition.
        var settled: [Int]
    }

    static let capacity = 64
    private(set) var forks: [Fork] = []

    var isEmpty: Bool { forks.isEmpty }

    mutating func record(_ fork: Fork) {
        if forks.count >= Self.capacity { forks.removeFirst() }
        forks.append(fork)
    }

    /// How well a definition fits a build, by what names the build: `Fit.commandLine` when the `docker build` line of
    /// its tag loaded that file, `Fit.none` when it loaded another; by the file's name against the image's
    /// (`Dockerfile.flask` for `app-flask`) `Fit.name`, `Fit.neutral` (`Dockerfile` says nothing) or `Fit.none`.
    enum Fit {
        static let none = 0, neutral = 1, name = 2, commandLine = 3
    }

    /// Checks `build`'s definition by `fit` (nil: nothing names the build yet): exchanges its past with a fork's
    /// other build when their definitions fit them better the other way round, and settles the build's forks once a
    /// command line confirms its definition. Returns the fork exchanged at, if any, for the caller to move the
    /// trace's lines before it.
    mutating func reconcile(_ build: BuildState, fit: (String, BuildState) -> Int?) -> Fork? {
        guard let own = build.dockerfile, let ownFit = fit(own, build) else { return nil }
        var exchanged: Fork?
        if ownFit < Fit.commandLine {
            let better = forks.filter { fork in
                let partner = fork.partner(of: build)
                guard fork.involves(build), let theirs = partner.dockerfile, let taken = fit(theirs, build) else { return false }
                return taken + (fit(own, partner) ?? Fit.neutral) > ownFit + (fit(theirs, partner) ?? Fit.neutral)
            }
            // The closest call between the two is likeliest the wrong one; among equals the earliest, after which
            // every line followed its build.
            if let fork = better.min(by: { $0.extra < $1.extra || $0.extra == $1.extra && $0.line < $1.line }) {
                exchange(fork)
                exchanged = fork
            }
        }
        if let now = build.dockerfile, fit(now, build) == Fit.commandLine { settle(build) }
        // Two finished builds have nothing more to tell each other.
        forks.removeAll { $0.chosen.isFinished && $0.other.isFinished }
        return exchanged
    }

    /// The line of a fork moved to another build (see `DockerBuildParser.move`), counted in doubt there or not: the
    /// forks follow it.
    mutating func moved(line: Int, from giver: BuildState, to taker: BuildState, counted: Bool) {
        var first = true
        for index in forks.indices where forks[index].line == line && forks[index].chosen === giver {
            if forks[index].other === taker { forks[index].other = giver }
            forks[index].chosen = taker
            forks[index].counted = counted && first
            first = false
        }
    }

    /// Exchanges the pasts of the fork's two builds before it.
    private mutating func exchange(_ fork: Fork) {
        let (a, b) = (fork.chosen, fork.other)
        swap(&a.dockerfile, &b.dockerfile)
        swap(&a.firstTime, &b.firstTime)
        swap(&a.definitionHash, &b.definitionHash)
        swap(&a.metadata, &b.metadata)
        swap(&a.metadataHash, &b.metadataHash)
        /// Each build's names: `x` held by `a` now, `y` by `b`, in place of the other.
        func exchangeNames(_ x: VertexState, _ y: VertexState) {
            guard x.nameHash != y.nameHash else { return }
            a.names.remove(y.nameHash); b.names.remove(x.nameHash)
            a.names.insert(x.nameHash); b.names.insert(y.nameHash)
        }
        var numbers = fork.settled
        if let definition = a.order.first(where: { $0.isDefinition })?.vertex, !numbers.contains(definition) { numbers.append(definition) }
        for number in numbers {
            guard let x = a.vertices[number], let y = b.vertices[number] else { continue }
            a.vertices[number] = y; b.vertices[number] = x
            if let i = a.order.firstIndex(where: { $0 === x }) { a.order[i] = y }
            if let i = b.order.firstIndex(where: { $0 === y }) { b.order[i] = x }
            exchangeNames(y, x)
        }
        // Metadata still loading at the fork stays where it is, in its state, under the other build's name.
        for number in 0...max(0, min(a.maxVertex, b.maxVertex)) where !numbers.contains(number) {
            guard let x = a.vertices[number], let y = b.vertices[number], x.isMetadata, y.isMetadata, x.nameHash != y.nameHash else { continue }
            x.exchangeName(with: y)
            exchangeNames(x, y)
        }
        // Earlier forks of either build now belong to the other, with their doubt.
        for index in forks.indices where forks[index].line < fork.line {
            for keyPath in [\Fork.chosen, \Fork.other] {
                if forks[index][keyPath: keyPath] === a { forks[index][keyPath: keyPath] = b }
                else if forks[index][keyPath: keyPath] === b { forks[index][keyPath: keyPath] = a }
            }
            if forks[index].counted, forks[index].chosen === a || forks[index].chosen === b {
                let now = forks[index].chosen, before = now === a ? b : a
                before.ambiguousLines -= 1
                now.ambiguousLines += 1
            }
        }
    }

    /// `build` showed a `FROM` of `image`, whose metadata it did not load: exchanges its past with a fork's other
    /// build that loaded it, when each then loaded the images its `FROM`s name. Returns the fork exchanged at, if any.
    mutating func reconcile(_ build: BuildState, from image: String) -> Fork? {
        let fitting = forks.filter { fork in
            guard fork.involves(build) else { return false }
            let partner = fork.partner(of: build)
            return partner.metadata.contains(image) && build.fromImages.isSubset(of: partner.metadata) && partner.fromImages.isSubset(of: build.metadata)
        }
        // The closest call is likeliest the wrong one; among equals the earliest.
        guard let fork = fitting.min(by: { $0.extra < $1.extra || $0.extra == $1.extra && $0.line < $1.line }) else { return nil }
        exchange(fork)
        // The soft facts crossed these two once: their lines since are no surer.
        fork.chosen.contradictedLines += 1
        fork.other.contradictedLines += 1
        return fork
    }

    /// The build's definition is known: its forks are no longer doubts.
    private mutating func settle(_ build: BuildState) {
        for fork in forks where fork.involves(build) && fork.counted { fork.chosen.ambiguousLines = max(0, fork.chosen.ambiguousLines - 1) }
        forks.removeAll { $0.involves(build) }
    }
}

extension DefinitionForks.Fork {
    func involves(_ build: BuildState) -> Bool { chosen === build || other === build }
    func partner(of build: BuildState) -> BuildState { chosen === build ? other : chosen }
}
