/// The parts of a BuildKit vertex name such as `[backend-builder  9/10] COPY samples /x`, `[api 7/8] RUN uv ...`,
/// `[api internal] load build definition from Dockerfile`, `[internal] load .dockerignore` or `exporting to image`.
struct VertexName: Equatable {
    /// The word before the position (`builder` in `[builder 2/5]`, `stage-0` in `[celery-beat stage-0 8/12]`), or the
    /// word before `internal`: a stage name or a bake/compose target.
    var prefix: String?
    /// The first word inside the brackets when it is not the position: where bake/compose put the target.
    var firstWord: String?
    /// Whether the brackets say `internal` (`[internal]`, `[api internal]`) or `auth`.
    var isInternal = false
    var index: Int?
    var total: Int?
    /// The instruction or description after the brackets.
    var instruction: String
    var kind: StepKind

    init(_ name: String) {
        var rest = Substring(name)
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let inside = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
            let words = inside.split(separator: " ")
            if words.count >= 2 || (words.count == 1 && !words[0].contains("/")) { firstWord = words.first.map(String.init) }
            if let last = words.last, let slash = last.firstIndex(of: "/"), let index = Int(last[..<slash]),
               let total = Int(last[last.index(after: slash)...]) ?? (last.hasSuffix("/?") ? 0 : nil) {
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
    ].map { Array($0.utf8) }
}
