import BuildtimeCore
import Foundation

/// How well buildtime read logs of interleaved parallel builds, against the truth the generator wrote beside each
/// log (samples/tools/make-interleavings.py): lines given to the right build, and what a reader sees for each true
/// image — an image of its name, its class and its steps' outcomes; run classes; whether `inferred` was set where the
/// reading was wrong.
public struct AttributionScore: Sendable {
    public var logs = 0
    /// BuildKit `#N` lines, and those given to the build that printed them.
    public var lines = 0, linesRight = 0
    /// Dockerfile steps of the true builds, and those read with the right outcome in the right image.
    public var steps = 0, stepsRight = 0
    public var images = 0, namesRight = 0, classesRight = 0
    public var runClassesRight = 0
    /// Images said to be `exact` whose lines were not all right (must be none).
    public var exactButWrong = 0
    /// Images said to be `inferred`, and those of them whose lines were all right all the same.
    public var inferred = 0, inferredButRight = 0
    /// Logs whose builds the reading did not find as many as there were.
    public var buildCountWrong = 0
    /// Lines given to the wrong build, by their kind (`Self.kind`), to see which family of lines is misread.
    public var wrongByKind: [String: Int] = [:]
    /// Wrong lines whose text the build they were given to also printed close by (within 40 lines).
    public var wrongButAlike = 0
    /// The first few facts read wrong, to look at.
    public var misreadings: [String] = []

    public init() {}

    /// Reads `log` and scores the reading against `truth` (its `.truth.json`).
    public mutating func add(log: String, truth: String) throws {
        let expected = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: URL(fileURLWithPath: truth)))
        let trace = try BuildAttributionTrace(path: log)
        logs += 1
        let matched = Self.match(trace, expected)
        if trace.images.count != expected.images.count { buildCountWrong += 1 }
        var wrongLines: [Int: Int] = [:]
        for (index, owner) in expected.owners.enumerated() where owner >= 0 && index < trace.texts.count {
            guard trace.texts[index].drop(while: { $0 == " " || $0 == "\t" }).first == "#" else { continue }
            lines += 1
            let owners = expected.sharers[String(index)] ?? [owner]
            if let image = trace.owners[index], let truth = matched[image], owners.contains(truth) { linesRight += 1 }
            else {
                if let image = trace.owners[index] { wrongLines[image, default: 0] += 1 }
                wrongByKind[Self.kind(trace.texts[index]) + (trace.owners[index] == nil ? " (none)" : ""), default: 0] += 1
                // A line the other build printed too, word for word, close by: the two copies are interchangeable.
                if let image = trace.owners[index], let other = matched[image] {
                    let window = max(0, index - 40)..<min(trace.texts.count, index + 40)
                    if window.contains(where: { expected.owners[$0] == other && trace.texts[$0] == trace.texts[index] }) { wrongButAlike += 1 }
                }
            }
        }
        let byOwner = Dictionary(matched.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        var classes: [RunClass] = []
        for (owner, facts) in expected.images.enumerated() {
            images += 1
            steps += facts.statuses.count
            if let knownClass = RunClass(rawValue: facts.class) { classes.append(knownClass) }
            // What a reader sees: an image of that name, and what it did.
            let named = trace.images.firstIndex { $0.name == facts.name }
            if named != nil { namesRight += 1 } else if misreadings.count < 50 {
                misreadings.append("\(log): no image named \(facts.name) (read: \(trace.images.map { $0.name ?? "nil" }))")
            }
            guard let index = named ?? byOwner[owner] else { continue }
            let image = trace.images[index]
            if image.classification.runClass?.rawValue == facts.class { classesRight += 1 } else if misreadings.count < 50 {
                misreadings.append("\(log): \(facts.name) read \(image.classification.label), was \(facts.class)")
            }
            // A step is read right when the image has it at its position, with its outcome and its own instruction: two
            // alike builds' steps swapped keep their outcomes, not their instructions.
            for (step, status) in facts.statuses {
                let instruction = facts.instructions?[step].map { $0.prefix(24) }
                if image.dockerfileSteps.contains(where: {
                    $0.index == Int(step) && $0.status.rawValue == status && (instruction == nil || $0.instruction.prefix(24) == instruction!)
                }) { stepsRight += 1 } else if misreadings.count < 400 {
                    let read = image.dockerfileSteps.first { $0.index == Int(step) }
                    misreadings.append("\(log): \(facts.name) step \(step) read \(read.map { "\($0.status.rawValue) \($0.instruction.prefix(24))" } ?? "none"), was \(status) \(instruction ?? "")")
                }
            }
        }
        for (index, image) in trace.images.enumerated() {
            let wrong = wrongLines[index, default: 0] > 0 || matched[index] == nil
            if image.attribution == .exact, wrong { exactButWrong += 1 }
            if image.attribution == .inferred {
                inferred += 1
                if !wrong { inferredButRight += 1 }
            }
        }
        if trace.classification.runClass == classes.max() { runClassesRight += 1 }
    }

    /// The true build each image read stands for: the one most of its Dockerfile steps and its export came from (an
    /// image is what it built; the preamble of builds started together is alike).
    static func match(_ trace: BuildAttributionTrace, _ expected: Truth) -> [Int: Int] {
        var votes: [Int: [Int: Int]] = [:]
        for (index, owner) in expected.owners.enumerated() where owner >= 0 && index < trace.owners.count && index < trace.texts.count {
            guard let image = trace.owners[index] else { continue }
            votes[image, default: [:]][owner, default: 0] += Self.isStepOrExport(trace.texts[index]) ? 1000 : 1
        }
        var matched: [Int: Int] = [:]
        var taken = Set<Int>()
        // Ties go to the lower image and the lower owner: the score does not depend on a dictionary's order.
        let totals = votes.mapValues { $0.values.reduce(0, +) }
        for (image, counts) in votes.sorted(by: { totals[$0.key]! > totals[$1.key]! || totals[$0.key]! == totals[$1.key]! && $0.key < $1.key }) {
            if let owner = counts.filter({ !taken.contains($0.key) }).max(by: { $0.value < $1.value || $0.value == $1.value && $0.key > $1.key })?.key {
                matched[image] = owner
                taken.insert(owner)
            }
        }
        return matched
    }

    /// Each line of `log` marked with its true owner and the owner read (`!` where they differ), to look at.
    public static func explain(log: String, truth: String) throws -> [String] {
        let expected = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: URL(fileURLWithPath: truth)))
        let trace = try BuildAttributionTrace(path: log)
        let matched = match(trace, expected)
        return trace.texts.indices.map { index in
            let owner = index < expected.owners.count ? expected.owners[index] : -1
            let read = trace.owners[index].flatMap { matched[$0] ?? (100 + $0) }
            let owners = expected.sharers[String(index)] ?? [owner]
            let mark = owner < 0 || read.map(owners.contains) == true ? " " : "!"
            let readText = read.map { String($0) } ?? "-"
            // The build read as the trace numbers it, before matching (`r3`), to follow one build through a log.
            let raw = trace.owners[index].map { "r\($0)" } ?? "  "
            return "\(mark) \(owner < 0 ? " " : String(owner)) \(readText.count < 2 ? " " + readText : readText) \(raw) \(trace.texts[index])"
        }
    }

    /// `#7 [3/8] RUN ...` or `#12 exporting to image`.
    private static func isStepOrExport(_ text: String) -> Bool {
        let body = text.drop { $0 == " " || $0 == "\t" }
        guard body.first == "#", let space = body.firstIndex(of: " ") else { return false }
        let rest = body[body.index(after: space)...]
        if rest.hasPrefix("exporting to") { return true }
        guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return false }
        return rest[..<close].contains("/")
    }

    /// A BuildKit line's kind: a step header, an end line, timed output, a layer line, an internal vertex...
    public static func kind(_ text: String) -> String {
        let body = text.drop { $0 == " " || $0 == "\t" }
        guard let space = body.firstIndex(of: " ") else { return "bare" }
        let rest = body[body.index(after: space)...]
        if rest.hasPrefix("[internal]") || rest.hasPrefix("[auth]") { return "internal header" }
        if rest.first == "[" { return "step header" }
        for word in ["DONE", "CACHED", "ERROR", "CANCELED", "sha256:", "extracting", "resolve", "transferring", "exporting", "writing", "naming", "unpacking", "building with", "load", "..."] where rest.hasPrefix(word) { return word }
        if let first = rest.first, first.isNumber { return "timed output" }
        return "other"
    }

    public static func + (a: Self, b: Self) -> Self {
        var sum = a
        sum.wrongByKind.merge(b.wrongByKind, uniquingKeysWith: +)
        sum.wrongButAlike += b.wrongButAlike
        sum.logs += b.logs; sum.lines += b.lines; sum.linesRight += b.linesRight; sum.steps += b.steps; sum.stepsRight += b.stepsRight
        sum.images += b.images; sum.namesRight += b.namesRight; sum.classesRight += b.classesRight; sum.runClassesRight += b.runClassesRight
        sum.exactButWrong += b.exactButWrong; sum.inferred += b.inferred; sum.inferredButRight += b.inferredButRight
        sum.buildCountWrong += b.buildCountWrong
        sum.misreadings += b.misreadings.prefix(max(0, 400 - sum.misreadings.count))
        return sum
    }

    public var lineAccuracy: Double { Double(linesRight) / Double(max(lines, 1)) }
    public var stepAccuracy: Double { Double(stepsRight) / Double(max(steps, 1)) }
    public var nameAccuracy: Double { Double(namesRight) / Double(max(images, 1)) }
    public var classAccuracy: Double { Double(classesRight) / Double(max(images, 1)) }
    public var runClassAccuracy: Double { Double(runClassesRight) / Double(max(logs, 1)) }

    /// What the generator says of a log.
    public struct Truth: Decodable, Sendable {
        public var mode: String
        public var stamps: String
        public var owners: [Int]
        /// Lines of a vertex shared by several builds: any of them may own each copy.
        public var sharers: [String: [Int]]
        public var images: [Facts]

        public struct Facts: Decodable, Sendable {
            public var name: String
            public var `class`: String
            public var statuses: [String: String]
            /// Each step's instruction (`COPY flask_app/ ./flask_app/`), by its position; absent from older truths.
            public var instructions: [String: String]?
        }
    }
}
