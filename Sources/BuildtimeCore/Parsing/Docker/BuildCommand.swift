/// A `docker build` command line that a log shows: a shell trace (`+ docker build -f Dockerfile.flask -t app:1 .`),
/// a script's echo, or a prompt (`$ docker buildx build ...`). It names the image a build makes and the Dockerfile
/// it reads, which ties an interleaved build to its name even when the build fails before `naming to`.
struct BuildCommand: Equatable {
    /// The `-f`/`--file` argument, if given (`docker build` reads `Dockerfile` otherwise).
    var dockerfile: String?
    /// The `-t`/`--tag` arguments, in order.
    var tags: [String]

    /// The file name the build's `[internal] load build definition from ...` line shows: the Dockerfile's last
    /// path component.
    var dockerfileName: String {
        guard let dockerfile, dockerfile != "-" else { return "Dockerfile" }
        return String(dockerfile.split(separator: "/").last ?? Substring(dockerfile))
    }

    /// How well a Dockerfile's name fits an image's, when no command line ties them: teams name a Dockerfile after
    /// its image (`Dockerfile.flask`, `flask.Dockerfile` for `trading-dashboard-flask`). `Fit.name` when every word of
    /// the file's own part is a word of the image's last path component, `Fit.neutral` for a bare `Dockerfile`,
    /// `Fit.none` otherwise.
    static func fit(dockerfile: String, image: String) -> Int {
        func words(_ text: Substring) -> [Substring] {
            text.lowercased().split { !$0.isLetter && !$0.isNumber }.map { Substring($0) }
        }
        let own = words(Substring(dockerfile)).filter { $0 != "dockerfile" }
        guard !own.isEmpty else { return DefinitionForks.Fit.neutral }
        let imageWords = Set(words(image.split(separator: "/").last ?? Substring(image)))
        return own.allSatisfy(imageWords.contains) ? DefinitionForks.Fit.name : DefinitionForks.Fit.none
    }

    /// Reads a command line; nil when it is not a `docker build` with at least a tag or a file.
    init?(_ text: UnsafeBufferPointer<UInt8>) {
        guard let start = Self.buildVerb(in: text) else { return nil }
        var tags: [String] = []
        var dockerfile: String?
        var words = Self.words(UnsafeBufferPointer(rebasing: text[start...])).makeIterator()
        while let word = words.next() {
            switch word {
            case "&", "&&", "|", ";", "||", "2>&1": break
            case "-t", "--tag": if let value = words.next() { tags.append(value) }
            case "-f", "--file": dockerfile = words.next()
            default:
                if word.hasPrefix("--tag=") { tags.append(String(word.dropFirst(6))) }
                else if word.hasPrefix("-t"), word.count > 2, !word.hasPrefix("--") { tags.append(String(word.dropFirst(2))) }
                else if word.hasPrefix("--file=") { dockerfile = String(word.dropFirst(7)) }
                else if word.hasPrefix("-f"), word.count > 2, !word.hasPrefix("--") { dockerfile = String(word.dropFirst(2)) }
                continue
            }
            if ["&", "&&", "|", ";", "||"].contains(word) { break }
        }
        guard !tags.isEmpty || dockerfile != nil else { return nil }
        self.tags = tags
        self.dockerfile = dockerfile
    }

    /// The index after `docker build`, `docker buildx build` or `docker image build` when the line runs one.
    private static func buildVerb(in text: UnsafeBufferPointer<UInt8>) -> Int? {
        let docker = Array("docker ".utf8)
        var index = 0
        while index + docker.count <= text.count {
            guard let found = find(docker, in: text, from: index) else { return nil }
            // `docker` must start a word: `+ docker`, `$ docker`, `(docker`, `/usr/bin/docker`.
            let before = found == 0 ? UInt8(ascii: " ") : text[found - 1]
            var after = found + docker.count
            if before == UInt8(ascii: " ") || before == UInt8(ascii: "/") || before == UInt8(ascii: "(") || before == UInt8(ascii: "\t") {
                for verb in ["buildx build ", "image build ", "build "] {
                    let bytes = Array(verb.utf8)
                    if after + bytes.count <= text.count, Array(text[after..<(after + bytes.count)]) == bytes {
                        after += bytes.count
                        return after
                    }
                }
            }
            index = found + 1
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard needle.count <= text.count else { return nil }
        var index = start
        while index + needle.count <= text.count {
            if text[index] == needle[0], Array(text[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }

    /// Shell words, with single and double quotes removed.
    private static func words(_ text: UnsafeBufferPointer<UInt8>) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        var quote: UInt8?
        var inWord = false
        for byte in text {
            if let open = quote {
                if byte == open { quote = nil } else { current.append(byte) }
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
                inWord = true
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                if inWord { words.append(String(decoding: current, as: UTF8.self)) }
                current.removeAll(keepingCapacity: true)
                inWord = false
            } else {
                current.append(byte)
                inWord = true
            }
            if words.count > 256 { break }
        }
        if inWord { words.append(String(decoding: current, as: UTF8.self)) }
        return words
    }
}
