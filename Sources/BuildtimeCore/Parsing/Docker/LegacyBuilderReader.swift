import CByteSearch

/// The legacy builder's output (`DOCKER_BUILDKIT=0`): `Step k/n : ...`, ` ---> Using cache`, ` ---> Running in ...`,
/// `Successfully built` / `Successfully tagged`, a RUN failure's `The command '...' returned a non-zero code: 1`.
/// Its builds cannot interleave readably, so one is open at a time.
final class LegacyBuilderReader {
    private let registry: BuildRegistry
    private var current: BuildState?
    /// The build that just printed `Successfully built`; `Successfully tagged` follows it.
    private var finished: BuildState?
    private var currentStep: VertexState?

    init(registry: BuildRegistry) { self.registry = registry }

    /// The open legacy build, else a new one.
    func build(time: Double?) -> BuildState {
        if let current, !current.isFinished { return current }
        finished = nil
        let build = registry.start(.legacy, time: time)
        current = build
        return build
    }

    /// `Step 3/9 : RUN apt-get update` (or the pre-2017 `Step 3 : ...`).
    func step(_ text: String, time: Double?) {
        let body = text.dropFirst(5)
        guard let colon = body.range(of: " : ") else { return }
        let position = body[..<colon.lowerBound]
        let parts = position.split(separator: "/")
        guard let first = parts.first, let index = Int(first), (0..<1_000_000).contains(index) else { return }
        let total = parts.count > 1 ? Int(parts[1]).flatMap { (0..<1_000_000).contains($0) ? $0 : nil } : nil
        if index == 1, let current, !current.order.isEmpty, !current.isFinished { finish(.unfinished, time: time) }
        let build = build(time: time)
        build.touch(time)
        settleStep(time: time)
        let instruction = String(body[colon.upperBound...])
        currentStep = build.declare(index, name: "[\(index)/\(total.map(String.init) ?? "?")] \(instruction)", time: time)
    }

    /// ` ---> Using cache`, ` ---> Running in 3dc066a280c0`, ` ---> ee19a1cc5aa4`; with no step open, a line of a
    /// failure summary (`errorTail`) if one is being read.
    func arrow(_ text: UnsafeBufferPointer<UInt8>, time: Double?, errorTail: BuildState?) {
        guard let step = currentStep else {
            errorTail?.addError(text.string)
            return
        }
        current?.touch(time)
        step.touch(time)
        let rest = UnsafeBufferPointer(rebasing: text[6...])
        if rest.starts(with: Prefix.usingCache) {
            step.status = .cached
        } else if rest.starts(with: Prefix.runningIn) {
            step.status = .running
        } else if rest.first.map({ hexValue($0) != nil }) == true, step.status == .pending || step.status == .running {
            // The step produced a layer without a cache hit: it ran (COPY and ADD show no "Running in").
            step.status = .done
        }
    }

    /// `Successfully tagged app:latest`.
    func tagged(_ reference: Substring, time: Double?) {
        (current ?? finished ?? build(time: time)).name(fromReference: reference)
    }

    /// `The command '/bin/sh -c ...' returned a non-zero code: 1`.
    func failed(message: String, exitCode: Int, time: Double?) {
        let build = build(time: time)
        build.addError(message)
        build.exitCode = exitCode
        currentStep?.status = .failed
        finish(.failed, time: time)
    }

    /// A step's unprefixed output: what a dependency install did.
    func output(_ text: UnsafeBufferPointer<UInt8>) {
        if let step = currentStep, step.status == .running { DependencyOutput.note(text, in: step) }
    }

    /// Any other line while a legacy build is open: the base image's pull (`Pull complete`), or step output.
    func other(_ text: UnsafeBufferPointer<UInt8>, time: Double?) {
        guard current != nil || currentStep != nil else { return }
        if Self.contains(text, Prefix.pullComplete) || Self.contains(text, Prefix.pullingFrom) || Self.contains(text, Prefix.downloadComplete) {
            build(time: time).basePulled = true
        } else {
            output(text)
        }
    }

    /// Ends the current step where the next begins.
    private func settleStep(time: Double?) {
        guard let step = currentStep else { return }
        if step.status == .running { step.status = .done }
        if let start = step.firstTime, let time { step.duration = time - start }
    }

    func finish(_ outcome: BuildOutcome, time: Double?) {
        guard let build = current else { return }
        build.touch(time)
        if outcome != .failed { settleStep(time: time) }
        if outcome != .unfinished { build.outcome = outcome }
        currentStep = nil
        current = nil
        finished = build
        registry.close(build)
    }

    private static func contains(_ text: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let base = text.baseAddress, text.count >= needle.count else { return false }
        return needle.withUnsafeBytes { bt_memmem(base, text.count, $0.baseAddress, needle.count) != nil }
    }
}
