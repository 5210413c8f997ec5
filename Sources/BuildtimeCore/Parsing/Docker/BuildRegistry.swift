/// The builds found in one log, open and finished, which the readers of each output format (BuildKit plain, TTY,
/// rawjson, the legacy builder) share: a failure summary or a name can come from any of them.
final class BuildRegistry {
    /// Builds beyond this many are counted, not kept, so memory stays bounded on huge logs.
    static let maxBuilds = 256
    /// At most this many unprefixed BuildKit builds are open at once.
    static let maxParallel = 16

    private(set) var builds: [BuildState] = []
    private(set) var droppedBuilds = 0
    private(set) var open: [BuildState] = []
    /// The open BuildKit plain-progress builds without a stream prefix or target: those the attribution chooses among.
    private(set) var unkeyed: [BuildState] = []
    /// Builds by their stream prefix or bake/compose target (`tty:` + target for TTY output).
    private var byKey: [String: BuildState] = [:]
    /// The build that failed last: an unprefixed failure summary is its.
    var lastFailed: BuildState?
    /// The unprefixed BuildKit build closed last: blocks printed after an export are its.
    private(set) var lastClosed: BuildState?

    /// A new build, open.
    func start(_ builder: BuilderKind, key: String? = nil, time: Double?) -> BuildState {
        let build = BuildState(builder: builder, key: key)
        build.touch(time)
        if builds.count < Self.maxBuilds { builds.append(build) } else { droppedBuilds += 1 }
        open.append(build)
        if key == nil, builder == .buildkit {
            // More builds at once than any deploy runs: the one quiet longest is over (its end is not in the log),
            // which keeps the attribution's work per line bounded.
            if unkeyed.count >= Self.maxParallel, let quiet = unkeyed.min(by: { $0.lastLine < $1.lastLine }) { close(quiet) }
            // Builds open together are the ones whose lines, and definitions, can be taken for each other's.
            for other in unkeyed {
                other.siblings.insert(ObjectIdentifier(build))
                build.siblings.insert(ObjectIdentifier(other))
            }
            unkeyed.append(build)
        }
        return build
    }

    /// The open build of a stream prefix or target, else a new one.
    func build(forKey key: String, builder: BuilderKind = .buildkit, time: Double?) -> BuildState {
        if let build = byKey[key], !build.isFinished { return build }
        let build = start(builder, key: builder == .buildkit ? key : nil, time: time)
        byKey[key] = build
        return build
    }

    /// The open build of a key, if there is one.
    func openBuild(forKey key: String) -> BuildState? {
        byKey[key].flatMap { $0.isFinished ? nil : $0 }
    }

    func close(_ build: BuildState) {
        if build.key == nil, build.builder == .buildkit { lastClosed = build }
        open.removeAll { $0 === build }
        unkeyed.removeAll { $0 === build }
    }

    /// Opens a finished build again for a block it prints after its export.
    func reopen(_ build: BuildState) {
        guard !open.contains(where: { $0 === build }) else { return }
        open.append(build)
        unkeyed.append(build)
    }
}

/// The lines of a dependency step's output that tell what it did (`Installed 57 packages`), a few per step.
enum DependencyOutput {
    static func note(_ text: UnsafeBufferPointer<UInt8>, in vertex: VertexState) {
        guard vertex.dependencyOutput.count < 6 else { return }
        var trimmed = text
        while let first = trimmed.first, first == UInt8(ascii: " ") { trimmed = UnsafeBufferPointer(rebasing: trimmed.dropFirst()) }
        guard let first = trimmed.first, initials.contains(first) else { return }
        for prefix in prefixes where trimmed.starts(with: prefix) {
            vertex.dependencyOutput.append(trimmed.string)
            return
        }
    }

    private static let initials = Set(prefixes.map { $0[0] })

    private static let prefixes: [[UInt8]] = [
        "Resolved ", "Prepared ", "Installed ", "Audited ", "Checked ", "Successfully installed ", "Downloaded ",
    ].map { Array($0.utf8) }
}
