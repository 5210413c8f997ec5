/// The parts of a BuildKit vertex name such as `[backend-builder  9/10] COPY samples /x`, `[api 7/8] RUN uv ...`,
/// `[api internal] load build definition from Dockerfile`, `[internal] load .dockerignore` or `exporting to image`.
/// Immutable and shared: the parser hands the same name to every build that prints it.
final class VertexName: Equatable {
    /// The word before the position (`builder` in `[builder 2/5]`, `stage-0` in `[celery-beat stage-0 8/12]`), or the
    /// word before `internal`: a stage name or a bake/compose target.
    private(set) var prefix: String?
    /// The first word inside the brackets when it is not the position: where bake/compose put the target.
    private(set) var firstWord: String?
    /// Whether the brackets say `internal` (`[internal]`, `[api internal]`) or `auth`.
    private(set) var isInternal = false
    private(set) var index: Int?
    private(set) var total: Int?
    /// The instruction or description after the brackets.
    let instruction: String
    let kind: StepKind

    /// Facts the attribution reads for every header, worked out once per name.
    /// `exporting to image`, `exporting to oci image format`: the build's export.
    private(set) var isExport = false
    /// The image of `[internal] load metadata for docker.io/library/python:3.11-slim`.
    private(set) var metadataImage: String?
    /// The file of `[internal] load build definition from Dockerfile.flask`.
    private(set) var dockerfile: String?
    /// `[internal] load .dockerignore`, `[internal] load build context`: the build's context, read when the definition
    /// is solved, after the frontend resolved every base image's metadata.
    private(set) var loadsContext = false
    /// The image of a `FROM docker.io/library/python:3.11-slim@sha256:...` step.
    private(set) var fromImage: String?
    /// The step's position in its Dockerfile (stage and index) as one number, when it is a step.
    private(set) var position: Int?
    /// A block that is no image build of its own: buildx's setup (`[internal] booting buildkit`, `[internal] load
    /// local bake definitions`).
    private(set) var isSetup = false
    /// A block a build prints after its export (`exporting cache ...`, `resolving provenance for metadata file`).
    private(set) var isTrailing = false

    static func == (a: VertexName, b: VertexName) -> Bool {
        a === b || a.prefix == b.prefix && a.firstWord == b.firstWord && a.isInternal == b.isInternal && a.index == b.index
            && a.total == b.total && a.instruction == b.instruction && a.kind == b.kind
    }

    init(_ name: String) {
        var rest = Substring(name)
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let inside = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
            let words = inside.split(separator: " ")
            if words.count >= 2 || (words.count == 1 && !words[0].contains("/")) { firstWord = words.first.map(String.init) }
            // A Dockerfile has not a million steps: a larger `[k/N]` is no step position, and would overflow sums.
            if let last = words.last, let slash = last.firstIndex(of: "/"), let index = Int(last[..<slash]),
               let total = Int(last[last.index(after: slash)...]) ?? (last.hasSuffix("/?") ? 0 : nil),
               (0..<1_000_000).contains(index), (0..<1_000_000).contains(total) {
                // `k/?` is the legacy builder's pre-2017 `Step k :`, which gave no total.
                self.index = index
                self.total = total == 0 ? nil : total
                // `[platform stage k/n]`: the stage is the word before the position.
                if words.count >= 2 { prefix = String(words[words.count - 2]) }
            } else if let last = words.last, last == "internal" || last == "auth" {
                isInternal = true
                if words.count >= 2 { prefix = String(words[0]) }
            } else if words.count == 1 {
                // `[api] exporting to image` in bake, `[auth] ...`
                prefix = String(words[0])
            }
        }
        instruction = String(rest)
        if index != nil {
            let keyword = rest.prefix { $0 != " " }.uppercased()
            kind = switch keyword {
            case "FROM": .from
            case "RUN": .run
            case "COPY": .copy
            case "ADD": .add
            case "WORKDIR": .workdir
            case "ENV": .env
            case "ARG": .arg
            default: .other
            }
        } else if isInternal || prefix == "auth" || rest.hasPrefix("resolve image config") || rest.hasPrefix("importing cache") || rest.hasPrefix("load ") {
            kind = .internal
        } else if rest.hasPrefix("exporting") || rest.hasPrefix("writing") || rest.hasPrefix("naming") || rest.hasPrefix("sending") {
            kind = .export
        } else {
            kind = .other
        }
        isExport = kind == .export && instruction.hasPrefix("exporting to")
        isSetup = instruction == "booting buildkit" || instruction == "load local bake definitions"
        isTrailing = instruction.hasPrefix("exporting cache") || instruction.hasPrefix("resolving provenance for metadata file")
        if let index { position = (prefix ?? "").hashValue &* 31 &+ index }
        if isInternal || kind == .internal {
            if instruction.hasPrefix("load metadata for ") {
                metadataImage = String(instruction.dropFirst(18).prefix { $0 != "@" && $0 != " " })
            } else if instruction.hasPrefix("load build definition from ") {
                dockerfile = String(instruction.dropFirst(27))
            } else {
                loadsContext = isInternal && (instruction == "load .dockerignore" || instruction.hasPrefix("load build context"))
            }
        } else if kind == .from {
            fromImage = String(instruction.dropFirst(5).prefix { $0 != "@" && $0 != " " })
        }
    }

    /// Whether a plain-progress text after `#N ` is the name of a vertex rather than a status line.
    static func looksLikeHeader(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = text.first else { return false }
        if first == UInt8(ascii: "[") { return true }
        for prefix in headerPrefixes where text.starts(with: prefix) { return true }
        return false
    }

    private static let headerPrefixes: [[UInt8]] = [
        "exporting to ", "exporting cache", "resolve image config", "importing cache manifest", "copy /context", "merging",
        "resolving provenance for metadata file",
    ].map { Array($0.utf8) }
}
