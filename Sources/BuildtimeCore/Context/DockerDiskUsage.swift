import Foundation

/// What `docker system df` reports: space used by images, containers, local volumes and the build cache.
public struct DockerDiskUsage: Sendable, Equatable, Codable {
    /// One row of the summary table.
    public struct Entry: Sendable, Equatable, Codable {
        public var total: Int?
        public var active: Int?
        /// Bytes.
        public var size: Double
        /// Bytes that `docker ... prune` could free; Docker has printed negative values and values above the size.
        public var reclaimable: Double?


        public init(total: Int?, active: Int?, size: Double, reclaimable: Double?) {
            self.total = total
            self.active = active
            self.size = size
            self.reclaimable = reclaimable
        }
    }

    public var images: Entry?
    public var containers: Entry?
    public var localVolumes: Entry?
    /// Missing from Docker 1.13/17.x output.
    public var buildCache: Entry?
    /// The Docker host the table is of, when the log named another than its own machine (`ssh web-1 docker system
    /// df`, `docker -H ssh://deploy@web-1`, `docker --context prod`, Ansible's `web-1 | CHANGED | rc=0 >>`).
    public var host: String?


    public init(images: Entry? = nil, containers: Entry? = nil, localVolumes: Entry? = nil, buildCache: Entry? = nil, host: String? = nil) {
        self.images = images
        self.containers = containers
        self.localVolumes = localVolumes
        self.buildCache = buildCache
        self.host = host
    }

    /// The host a command line that runs `docker system df` names: `.some(nil)` for the local daemon, nil when the
    /// line runs no `docker system df`.
    /// `+ ssh -p 2222 deploy@web-1 docker system df` → web-1; `docker -H ssh://deploy@10.0.0.5:22 system df` and
    /// `DOCKER_HOST=tcp://build-2:2376 docker system df` → 10.0.0.5, build-2; `docker --context prod system df` → prod.
    public static func host(inCommand line: String) -> String?? {
        guard line.contains("system df") else { return nil }
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "'" || $0 == "\"" }).map(String.init)
        guard let docker = words.firstIndex(where: { $0 == "docker" || $0.hasSuffix("/docker") }) else { return nil }
        // `ssh [options] [user@]host docker ...`: the host is the last word before docker that is no option or its value.
        if let ssh = words[..<docker].lastIndex(where: { $0 == "ssh" || $0.hasSuffix("/ssh") }) {
            var index = ssh + 1
            var host: String?
            while index < docker {
                let word = words[index]
                if word.hasPrefix("-") {
                    // Options that take a value: -p 22, -i key, -o Opt=..., -l user, -J jump, -F file.
                    if word.count == 2, "pioljFLRDeSEcmwbBW".contains(word.last!) { index += 1 }
                } else if host == nil {
                    host = word
                }
                index += 1
            }
            if let host { return .some(hostName(host)) }
        }
        for (index, word) in words.enumerated() {
            if word.hasPrefix("DOCKER_HOST=") { return .some(hostName(String(word.dropFirst(12)))) }
            if word.hasPrefix("DOCKER_CONTEXT=") { return .some(String(word.dropFirst(15))) }
            guard index > docker, index + 1 < words.count else { continue }
            if word == "-H" || word == "--host" { return .some(hostName(words[index + 1])) }
            if word == "-c" || word == "--context" { return .some(words[index + 1]) }
            if word.hasPrefix("--host=") { return .some(hostName(String(word.dropFirst(7)))) }
            if word.hasPrefix("--context=") { return .some(String(word.dropFirst(10))) }
        }
        return .some(nil)
    }

    /// `ssh://deploy@web-1:22` → web-1; `unix:///var/run/docker.sock` → nil (the local daemon).
    private static func hostName(_ address: String) -> String? {
        var rest = Substring(address)
        if let scheme = rest.range(of: "://") {
            if rest[..<scheme.lowerBound] == "unix" || rest[..<scheme.lowerBound] == "npipe" { return nil }
            rest = rest[scheme.upperBound...]
        }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let colon = rest.lastIndex(of: ":"), !rest.hasPrefix("["), rest[rest.index(after: colon)...].allSatisfy(\.isNumber) { rest = rest[..<colon] }
        return rest.isEmpty ? nil : String(rest)
    }

    /// Reads the default table, `--format json` (one object per row) or `--format '{{json .}}'`, with old units
    /// (`2.833 GB`), exponents and signs (`-2.5e+08 B (-8%)`); a `-v` listing contributes its summary lines
    /// (`Build cache usage: 239B`). Nil when the text holds none of these.
    public static func parse(_ text: String) -> DockerDiskUsage? {
        var usage = DockerDiskUsage()
        var found = false
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("{"), let row = jsonRow(line) {
                found = usage.set(row.type, row.entry) || found
            } else if let row = tableRow(line) {
                found = usage.set(row.type, row.entry) || found
            } else if line.hasPrefix("Build cache usage:"), usage.buildCache == nil,
                      let size = bytes(String(line.dropFirst("Build cache usage:".count))) {
                usage.buildCache = Entry(total: nil, active: nil, size: size, reclaimable: nil)
                found = true
            }
        }
        return found ? usage : nil
    }

    private mutating func set(_ type: String, _ entry: Entry) -> Bool {
        switch type.lowercased() {
        case "images": images = entry
        case "containers": containers = entry
        case "local volumes": localVolumes = entry
        case "build cache": buildCache = entry
        default: return false
        }
        return true
    }

    /// `Build Cache     939       0         159.3GB   159.3GB`: columns are at least two spaces apart, and a type,
    /// a size with an old-style space, or a reclaimable `(100%)` contains single spaces.
    private static func tableRow(_ line: String) -> (type: String, entry: Entry)? {
        let columns = line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard columns.count >= 4, ["images", "containers", "local volumes", "build cache"].contains(columns[0].lowercased()),
              let size = bytes(columns[3])
        else { return nil }
        let reclaimable = columns.count > 4 ? bytes(columns[4]) : nil
        return (columns[0], Entry(total: Int(columns[1]), active: Int(columns[2]), size: size, reclaimable: reclaimable))
    }

    /// `{"Active":"2","Reclaimable":"2.498GB (94%)","Size":"2.631GB","TotalCount":"6","Type":"Images"}`
    private static func jsonRow(_ line: String) -> (type: String, entry: Entry)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let type = object["Type"] as? String, let size = (object["Size"] as? String).flatMap(bytes)
        else { return nil }
        let number = { (key: String) -> Int? in (object[key] as? String).flatMap { Int($0) } ?? object[key] as? Int }
        return (type, Entry(total: number("TotalCount"), active: number("Active"), size: size,
                            reclaimable: (object["Reclaimable"] as? String).flatMap(bytes)))
    }

    /// Bytes from `158B`, `2.23kB`, `256.5MB`, `2.833 GB`, `-2.5e+08 B`; a trailing `(94%)` is ignored.
    public static func bytes(_ text: String) -> Double? {
        var value = text.trimmingCharacters(in: .whitespaces)
        if let parenthesis = value.firstIndex(of: "(") { value = value[..<parenthesis].trimmingCharacters(in: .whitespaces) }
        let units: [(String, Double)] = [
            ("YB", 1e24), ("ZB", 1e21), ("EB", 1e18), ("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3), ("KB", 1e3), ("B", 1),
        ]
        guard let (unit, scale) = units.first(where: { value.hasSuffix($0.0) }) else { return nil }
        let number = value.dropLast(unit.count).trimmingCharacters(in: .whitespaces)
        guard let parsed = Double(number), parsed.isFinite else { return nil }
        return parsed * scale
    }
}

// MARK: JSON without the generic coders

// As `JSONEncoder` writes the `Encodable` conformance (see `RunContext`'s).

extension DockerDiskUsage: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) throws {
        try writer.object(depth) { fields in
            try fields.writable("buildCache", buildCache)
            try fields.writable("containers", containers)
            fields.string("host", host)
            try fields.writable("images", images)
            try fields.writable("localVolumes", localVolumes)
        }
    }
}

extension DockerDiskUsage.Entry: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) {
        writer.object(depth) { fields in
            fields.integer("active", active)
            fields.double("reclaimable", reclaimable)
            fields.double("size", size)
            fields.integer("total", total)
        }
    }
}
