import Foundation

/// A stored run as one trace, following the OpenTelemetry CI/CD semantic conventions (v1.44): a SERVER span for the
/// pipeline run, INTERNAL spans for its phases, its nested recorded steps, its image builds and each image's build
/// steps, at the run's real past times. Ids come from the run's fingerprint, so the same run always makes the same
/// trace. Plain data: an encoder writes it on the wire.
public struct RunTrace: Sendable, Equatable {
    public struct Span: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case server, `internal` }
        public enum Status: Sendable, Equatable { case unset, ok, error(String) }
        /// An attribute's value: OTLP's string, int or bool (the kinds a run's facts need).
        public enum Value: Sendable, Equatable {
            case string(String), int(Int), bool(Bool)
        }

        public var spanID: [UInt8]
        public var parentID: [UInt8]?
        public var name: String
        public var kind: Kind
        public var start: Date
        public var end: Date
        public var attributes: [Attribute]
        public var status: Status

        public struct Attribute: Sendable, Equatable {
            public var key: String
            public var value: Value
            init(_ key: String, _ value: Value) {
                self.key = key
                self.value = value
            }
        }

        /// The value of the attribute `key`, if the span has it.
        public subscript(key: String) -> Value? { attributes.first { $0.key == key }?.value }
    }

    public var traceID: [UInt8]
    /// The root first, then each child after its parent.
    public var spans: [Span]

    /// The trace of `run`; nil when the run has no absolute start time (an unstamped log): its spans would have no
    /// place in time.
    public init?(run: Run) {
        guard let start = run.startedAt else { return nil }
        traceID = Self.id(run.fingerprint, bytes: 16)
        let rootID = Self.id(run.fingerprint + "/run", bytes: 8)
        let end = start.addingTimeInterval(max(0, run.totalSeconds ?? run.phases.compactMap { ($0.startOffset ?? 0) + ($0.duration ?? 0) }.max() ?? 0))
        let pipeline = run.metadata.repo ?? run.metadata.step ?? "deploy"
        var root: [Span.Attribute] = [
            .init("cicd.pipeline.name", .string(pipeline)),
            .init("cicd.pipeline.result", .string(Self.result(run.status))),
        ]
        if let number = run.metadata.pipelineNumber { root.append(.init("cicd.pipeline.run.id", .string(String(number)))) }
        else if let id = run.id { root.append(.init("cicd.pipeline.run.id", .string(String(id)))) }
        if let repo = run.metadata.repo { root.append(.init("vcs.repository.name", .string(repo))) }
        if let branch = run.metadata.branch {
            root.append(.init("vcs.ref.head.name", .string(branch)))
            root.append(.init("vcs.ref.head.type", .string("branch")))
        }
        if let commit = run.metadata.commit { root.append(.init("vcs.ref.head.revision", .string(commit))) }
        if let code = run.exitCode { root.append(.init("process.exit.code", .int(code))) }
        if run.status == .failed || run.status == .interrupted { root.append(.init("error.type", .string(run.status == .failed ? "failure" : "interrupted"))) }
        root.append(.init("buildtime.class", .string(run.classification.runClass?.rawValue ?? "unknown")))
        root.append(.init("buildtime.fingerprint", .string(run.fingerprint)))
        spans = [Span(spanID: rootID, parentID: nil, name: "RUN \(pipeline)", kind: .server, start: start, end: end,
                      attributes: root, status: run.status == .succeeded ? .ok : run.status == .incomplete ? .unset : .error(run.status.rawValue))]

        func at(_ offset: Double?) -> Date? { offset.map { start.addingTimeInterval($0) } }
        // Phases, and the image builds inside the phase whose time holds their start.
        var phaseSpans: [(span: [UInt8], from: Double, to: Double)] = []
        for (index, phase) in run.phases.enumerated() {
            guard let from = phase.startOffset, let duration = phase.duration else { continue }
            let id = Self.id(run.fingerprint + "/phase/\(index)/\(phase.name)", bytes: 8)
            phaseSpans.append((id, from, from + duration))
            spans.append(Span(spanID: id, parentID: rootID, name: phase.name, kind: .internal, start: at(from)!, end: at(from + duration)!,
                              attributes: [.init("cicd.pipeline.task.name", .string(phase.name)), .init("cicd.pipeline.task.type", .string(Self.taskType(phase.name))),
                                           .init("cicd.pipeline.task.run.result", .string(phase.missingMarker == nil ? "success" : "error"))],
                              status: .unset))
        }
        for (index, step) in run.steps.enumerated() {
            let id = Self.id(run.fingerprint + "/step/\(index)/\(step.name)", bytes: 8)
            var attributes: [Span.Attribute] = [.init("cicd.pipeline.task.name", .string(step.name)), .init("cicd.pipeline.task.run.result", .string(Self.result(step.status)))]
            if let code = step.exitCode { attributes.append(.init("process.exit.code", .int(code))) }
            spans.append(Span(spanID: id, parentID: rootID, name: step.name, kind: .internal, start: step.startedAt,
                              end: step.startedAt.addingTimeInterval(max(0, step.duration)), attributes: attributes,
                              status: step.status == .succeeded ? .unset : .error(step.status.rawValue)))
        }
        for (index, image) in run.images.enumerated() {
            guard let from = image.startOffset else { continue }
            let label = image.label(position: index)
            let id = Self.id(run.fingerprint + "/image/\(index)/\(label)", bytes: 8)
            let parent = phaseSpans.first { from >= $0.from && from <= $0.to }?.span ?? rootID
            var attributes: [Span.Attribute] = [
                .init("cicd.pipeline.task.name", .string("docker build \(label)")), .init("cicd.pipeline.task.type", .string("build")),
                .init("buildtime.image.name", .string(label)), .init("buildtime.class", .string(image.classification.runClass?.rawValue ?? "unknown")),
                .init("buildtime.image.outcome", .string(image.outcome.rawValue)),
                .init("buildtime.image.steps.cached", .int(image.dockerfileSteps.filter { $0.status == .cached }.count)),
                .init("buildtime.image.steps", .int(image.dockerfileSteps.count)),
            ]
            if let tag = image.tag { attributes.append(.init("buildtime.image.tag", .string(tag))) }
            if let pulled = image.basePulled { attributes.append(.init("buildtime.image.base_pulled", .bool(pulled))) }
            if let code = image.exitCode { attributes.append(.init("process.exit.code", .int(code))) }
            spans.append(Span(spanID: id, parentID: parent, name: "docker build \(label)", kind: .internal, start: at(from)!,
                              end: at(from + max(0, image.duration ?? 0))!, attributes: attributes,
                              status: image.outcome == .failed ? .error(image.errorLines.last ?? "failed") : .unset))
            for (stepIndex, step) in image.steps.enumerated() {
                guard let stepStart = step.startOffset else { continue }
                let stepID = Self.id(run.fingerprint + "/image/\(index)/step/\(stepIndex)", bytes: 8)
                var stepAttributes: [Span.Attribute] = [.init("buildtime.step.instruction", .string(step.instruction)),
                                                        .init("buildtime.step.status", .string(step.status.rawValue)),
                                                        .init("buildtime.step.cached", .bool(step.status == .cached))]
                if let index = step.index { stepAttributes.append(.init("buildtime.step.index", .int(index))) }
                spans.append(Span(spanID: stepID, parentID: id, name: step.instruction, kind: .internal, start: at(stepStart)!,
                                  end: at(stepStart + max(0, step.duration ?? 0))!, attributes: stepAttributes,
                                  status: step.status == .failed ? .error("failed") : .unset))
            }
        }
    }

    /// `cicd.pipeline.result` of a run's status.
    static func result(_ status: RunStatus) -> String {
        switch status {
        case .succeeded: "success"
        case .failed: "failure"
        case .interrupted: "cancellation"
        case .incomplete: "error"
        }
    }

    /// `cicd.pipeline.task.type` of a phase, by its name.
    static func taskType(_ name: String) -> String {
        let lower = name.lowercased()
        if lower.contains("deploy") || lower.contains("release") { return "deploy" }
        if lower.contains("test") { return "test" }
        return "build"
    }

    /// `bytes` bytes derived from `text`: the same text, the same id; never all zeros (OTLP's "no id").
    static func id(_ text: String, bytes: Int) -> [UInt8] {
        var out: [UInt8] = []
        var seed: UInt64 = 0
        while out.count < bytes {
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            var mixer = SplitMix64(seed: hash)
            let word = mixer.next()
            out += (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) }
            seed &+= 1
        }
        out = Array(out.prefix(bytes))
        if out.allSatisfy({ $0 == 0 }) { out[bytes - 1] = 1 }
        return out
    }
}
