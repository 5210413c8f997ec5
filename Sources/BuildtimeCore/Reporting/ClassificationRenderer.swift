import Foundation

/// Renders a run's class and its image builds for `classify` and `show`.
public enum ClassificationRenderer {
    /// `cold (high, from the build)` and one line per piece of evidence.
    public static func summary(_ classification: Classification) -> [String] {
        var head = classification.label
        if let confidence = classification.confidence, let source = classification.source {
            head += " (\(confidence.rawValue) confidence, from \(source.description))"
        }
        return [head] + FactText.lines(classification.evidence).map { "  - " + SafeText.escaped($0) }
    }

    /// One line per image build, then its failing step and error lines when it failed.
    public static func images(_ images: [ImageBuild]) -> String {
        guard !images.isEmpty else { return "no Docker build output found\n" }
        var table = TextTable(headers: ["IMAGE", "BUILDER", "CLASS", "STEPS", "CACHED", "DEPENDENCIES", "BASE", "START", "DURATION", "OUTCOME"],
                              alignments: [.left, .left, .left, .right, .right, .left, .left, .right, .right, .left])
        for (position, image) in images.enumerated() {
            let steps = image.dockerfileSteps
            let dependency = image.dependency
            table.rows.append([
                image.label(position: position) + (image.tag.map { ":\($0)" } ?? ""),
                image.builder.rawValue + (image.attribution == .inferred ? "*" : ""),
                image.classification.label, String(steps.count), String(steps.filter { $0.status == .cached }.count),
                dependency.map { $0.status == .cached ? "cached" : $0.ran ? "ran" : "not seen" } ?? "—",
                image.basePulled.map { $0 ? "pulled" : "—" } ?? "?",
                image.startOffset.map { "+" + DurationFormat.string($0) } ?? "—", DurationFormat.string(image.duration),
                image.outcome.rawValue + (image.exitCode.map { " (exit \($0))" } ?? ""),
            ])
        }
        var text = table.render()
        if images.contains(where: { $0.attribution == .inferred }) {
            text += "* parallel builds wrote into one log with colliding step numbers; some lines could have been another build's: the class holds, step times may not\n"
        }
        for (position, image) in images.enumerated() where image.outcome == .failed {
            text += "\n" + SafeText.escaped(image.label(position: position)) + " failed"
            if let step = image.steps.first(where: { $0.status == .failed }) { text += " at " + SafeText.escaped(stepLabel(step)) }
            text += ":\n" + image.errorLines.map { "    " + SafeText.escaped($0) }.joined(separator: "\n") + "\n"
        }
        return text
    }

    /// The steps of one image, for `show --steps`.
    public static func steps(_ image: ImageBuild) -> String {
        var table = TextTable(headers: ["#", "STEP", "STATUS", "DURATION", "START"], alignments: [.right, .left, .left, .right, .right])
        for step in image.steps {
            table.rows.append([step.vertex.map(String.init) ?? "", stepLabel(step), step.status.rawValue, DurationFormat.string(step.duration),
                               step.startOffset.map { "+" + DurationFormat.string($0) } ?? "—"])
        }
        return table.render()
    }

    /// `[6/7] RUN uv pip install ...`
    public static func stepLabel(_ step: BuildStep) -> String {
        let position = step.index.map { index in "[" + [step.stage, "\(index)/\(step.total.map(String.init) ?? "?")"].compactMap { $0 }.joined(separator: " ") + "] " }
            ?? (step.kind == .internal ? "[internal] " : "")
        let instruction = step.instruction.count > 70 ? String(step.instruction.prefix(67)) + "..." : step.instruction
        return position + instruction
    }
}

extension ClassSource: CustomStringConvertible {
    public var description: String {
        switch self {
        case .build: "the build"
        case .changes: "the changed files"
        case .duration: "the duration"
        }
    }
}
