/// BuildKit's TTY progress pasted from a terminal: ` => CACHED [svc 3/4] COPY x .   0.0s`, ` => ERROR [svc 4/4] RUN
/// ...  4.4s`, ` => => naming to ...`. Compose and bake prefix each step with its service, which keys the builds.
final class TTYProgressReader {
    private let registry: BuildRegistry
    /// Numbers for the steps, which TTY output does not print.
    private var declarations = 0

    init(registry: BuildRegistry) { self.registry = registry }

    /// Reads what follows ` => `.
    func read(_ text: UnsafeBufferPointer<UInt8>, time: Double?) {
        var line = text.string.trimmingCharacters(in: .whitespaces)
        if line.hasPrefix("=> ") {
            let detail = line.dropFirst(3)
            let build = registry.open.last { $0.builder == .buildkitTTY }
            if detail.hasPrefix("naming to ") {
                build?.name(fromReference: detail.dropFirst(10).prefix { $0 != " " })
            } else if detail.hasPrefix("extracting sha256:") || detail.hasPrefix("sha256:") && detail.contains(" / ") {
                build?.basePulled = true
            }
            return
        }
        var status = StepStatus.done
        for (word, value) in [("CACHED ", StepStatus.cached), ("ERROR ", .failed), ("CANCELED ", .canceled), ("DONE ", .done)] where line.hasPrefix(word) {
            status = value
            line.removeFirst(word.count)
        }
        var duration: Double?
        if let space = line.lastIndex(of: " "), line.hasSuffix("s"), let seconds = Double(line[line.index(after: space)...].dropLast()),
           seconds.isFinite, (0...1e7).contains(seconds) {
            duration = seconds
            line = String(line[..<space]).trimmingCharacters(in: .whitespaces)
        } else if status == .done {
            status = .running
        }
        let name = VertexName(line)
        let service = name.index != nil ? (name.firstWord ?? "") : (name.prefix ?? "")
        let isNew = registry.openBuild(forKey: "tty:" + service) == nil
        let build = registry.build(forKey: "tty:" + service, builder: .buildkitTTY, time: time)
        if isNew, !service.isEmpty { build.name = service }
        build.touch(time)
        declarations += 1
        let vertex = build.order.first { $0.name.instruction == name.instruction && $0.name.index == name.index }
            ?? build.declare(declarations, name: line, time: time)
        vertex.status = status
        vertex.duration = duration
        if status == .failed {
            build.outcome = .failed
            build.addError(text.string.trimmingCharacters(in: .whitespaces))
            registry.lastFailed = build
        }
        if status == .canceled, build.outcome == .unfinished { build.outcome = .canceled }
    }
}
