import CByteSearch

/// Reads the machine's state where a pipeline printed it, so an ingested run gets the context `record` measures:
/// a `docker system df` table, `df -P` (or `df -h`, `df -k`) output, `uptime`'s load average, `docker info`'s
/// ` CPUs: 4` and ` Docker Root Dir: /var/lib/docker`, the build cache's size from `docker system df -v` or `docker
/// buildx du`. The first of each is the start; a second `df` or load, the end. A `docker system df` of another host
/// (named by the command line before it: `ssh web-1 docker system df`, `docker -H ...`, `docker --context ...`, or
/// Ansible's `web-1 | CHANGED | rc=0 >>`) is kept apart, labelled by host, the first table of each host.
final class ContextScanner {
    /// The `docker system df` tables, each with the host it is of (nil: the log's own machine), a few.
    private var dockerTables: [(host: String?, rows: [String])] = []
    private var inDockerTable = false
    /// The host the last `docker system df` command line named, and how many lines ago: the table that follows is its.
    private var commandHost: (host: String?, age: Int)?
    /// The `df` header's block size in bytes, or 0 for human sizes (`df -h`), while the next line is its row.
    private var dfBlockSize: Double?
    private var disks: [(path: String, size: Double, free: Double)] = []
    private var loads: [(Double, Double, Double)] = []
    private var cores: Int?
    private var dockerRoot: String?
    /// The build cache from `docker system df -v` (`Build cache usage: 239B`) or `docker buildx du` (its
    /// `Reclaimable:` and `Total:` lines, after its `ID  RECLAIMABLE  SIZE  LAST ACCESSED` header).
    private var cacheUsage: Double?
    private var buildxTotal: Double?
    private var buildxReclaimable: Double?
    private var inBuildxDu = false

    private static let loadAverage = Array("load average".utf8)
    private static let systemDF = Array("system df".utf8)

    /// Whether a line may be a command line: a shell trace (`+ `, `$ `, `> `) or the command itself (`docker`,
    /// `ssh`, `sudo`, `DOCKER_HOST=...`). Cheap: most lines are none.
    private static func mayRunACommand(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        switch text[0] {
        case UInt8(ascii: "+"), UInt8(ascii: "$"), UInt8(ascii: ">"): return true
        case UInt8(ascii: "d"): return text.starts(with: docker)
        case UInt8(ascii: "s"): return text.starts(with: ssh) || text.starts(with: sudo)
        case UInt8(ascii: "D"): return text.starts(with: dockerVariable)
        default: return false
        }
    }
    private static let docker = Array("docker ".utf8), ssh = Array("ssh ".utf8), sudo = Array("sudo ".utf8), dockerVariable = Array("DOCKER_".utf8)

    /// `web-1 | CHANGED | rc=0 >>`: Ansible's ad-hoc output of a host, which the command's output follows.
    static func ansibleHost(_ line: String) -> String? {
        let parts = line.components(separatedBy: " | ")
        guard parts.count >= 3, parts[2].hasPrefix("rc="), ["CHANGED", "SUCCESS", "FAILED"].contains(parts[1]) else { return nil }
        let host = parts[0].trimmingCharacters(in: .whitespaces)
        return host.isEmpty || host.contains(" ") ? nil : host
    }

    func consume(_ text: UnsafeBufferPointer<UInt8>) {
        if let named = commandHost { commandHost = named.age < 6 ? (named.host, named.age + 1) : nil }
        guard let first = text.first else { inDockerTable = false; return }
        // A command line: a shell trace (`+ `, `$ `), or the command itself (`ssh`, `docker`, `DOCKER_HOST=`, `sudo`).
        if text.count < 1024, text.count > 9, Self.mayRunACommand(text), let base = text.baseAddress,
           Self.systemDF.withUnsafeBytes({ bt_memmem(base, text.count, $0.baseAddress, $0.count) }) != nil,
           let host = DockerDiskUsage.host(inCommand: text.string) {
            commandHost = (host, 0)
            inDockerTable = false
            return
        }
        if text.count < 256, text.count > 12, text[text.count - 1] == UInt8(ascii: ">"), text[text.count - 2] == UInt8(ascii: ">"),
           let host = Self.ansibleHost(text.string) {
            commandHost = (host, 0)
            inDockerTable = false
            return
        }
        if let blockSize = dfBlockSize {
            dfBlockSize = nil
            readDiskRow(text.string, blockSize: blockSize)
            return
        }
        switch first {
        case UInt8(ascii: "T") where text.starts(with: Array("TYPE ".utf8)):
            inDockerTable = dockerTables.count < 16
            if inDockerTable { dockerTables.append((commandHost?.host ?? nil, [])) }
            commandHost = nil
            return
        case UInt8(ascii: "T") where inBuildxDu && text.starts(with: Array("Total:".utf8)):
            buildxTotal = buildxTotal ?? DockerDiskUsage.bytes(String(text.string.dropFirst(6)).trimmingCharacters(in: .whitespaces))
        case UInt8(ascii: "R") where inBuildxDu && text.starts(with: Array("Reclaimable:".utf8)):
            buildxReclaimable = buildxReclaimable ?? DockerDiskUsage.bytes(String(text.string.dropFirst(12)).trimmingCharacters(in: .whitespaces))
        case UInt8(ascii: "I") where text.starts(with: Array("ID".utf8)) && text.count < 120:
            let header = text.string
            if header.contains("RECLAIMABLE"), header.contains("LAST ACCESSED") { inBuildxDu = true; return }
            if inDockerTable, dockerTables[dockerTables.count - 1].rows.count < 8 { dockerTables[dockerTables.count - 1].rows.append(header); return }
        case UInt8(ascii: "B") where !inDockerTable && text.starts(with: Array("Build cache usage:".utf8)):
            cacheUsage = cacheUsage ?? DockerDiskUsage.bytes(String(text.string.dropFirst(18)).trimmingCharacters(in: .whitespaces))
        case UInt8(ascii: "I"), UInt8(ascii: "C"), UInt8(ascii: "L"), UInt8(ascii: "B"):
            if inDockerTable, dockerTables[dockerTables.count - 1].rows.count < 8 { dockerTables[dockerTables.count - 1].rows.append(text.string); return }
            if first == UInt8(ascii: "C") { readSpaced(text) }
        case UInt8(ascii: "F") where text.starts(with: Array("Filesystem ".utf8)):
            readDiskHeader(text.string)
        case UInt8(ascii: " "), UInt8(ascii: "0")...UInt8(ascii: "9"):
            readSpaced(text)
        default: break
        }
        inDockerTable = false
    }

    private func readSpaced(_ text: UnsafeBufferPointer<UInt8>) {
        if text.count < 200, let base = text.baseAddress,
           Self.loadAverage.withUnsafeBytes({ bt_memmem(base, text.count, $0.baseAddress, $0.count) }) != nil {
            readLoad(text.string)
            return
        }
        // Only `CPUs: 4` and `Docker Root Dir: ...` are read from here on: no string for any other line.
        guard let first = text.first(where: { $0 != UInt8(ascii: " ") }), first == UInt8(ascii: "C") || first == UInt8(ascii: "D") else { return }
        let line = text.string.trimmingCharacters(in: .whitespaces)
        if line.hasPrefix("CPUs: "), cores == nil { cores = Int(line.dropFirst(6)) }
        if line.hasPrefix("Docker Root Dir: "), dockerRoot == nil { dockerRoot = String(line.dropFirst(17)) }
    }

    /// ` 10:01:02 up 12 days,  3:04,  0 users,  load average: 0.42, 0.51, 0.48`
    private func readLoad(_ line: String) {
        guard let colon = line.range(of: "load average")?.upperBound, let start = line[colon...].firstIndex(of: ":") else { return }
        let numbers = line[line.index(after: start)...].split(whereSeparator: { $0 == "," || $0 == " " }).compactMap { Double($0) }
        if numbers.count >= 3 { loads.append((numbers[0], numbers[1], numbers[2])) }
    }

    /// `Filesystem 1024-blocks Used Available Capacity Mounted on`, `Filesystem 1K-blocks ...`, `Filesystem Size Used Avail Use% Mounted on`.
    private func readDiskHeader(_ line: String) {
        let columns = line.split(separator: " ", omittingEmptySubsequences: true)
        guard columns.count >= 5 else { return }
        let unit = columns[1].lowercased()
        if unit == "size" { dfBlockSize = 0 }
        else if unit.hasSuffix("-blocks") {
            let size = unit.dropLast(7)
            dfBlockSize = size == "1k" ? 1024 : Double(size)
        }
    }

    /// `/dev/sda1 102687672 52345678 45000000 54% /var/lib/docker`
    private func readDiskRow(_ line: String, blockSize: Double) {
        let columns = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard columns.count >= 6 else { return }
        let amount = { (text: String) -> Double? in
            blockSize > 0 ? Double(text).map { $0 * blockSize } : Self.humanBytes(text)
        }
        guard let size = amount(columns[1]), let free = amount(columns[3]) else { return }
        disks.append((columns[5...].joined(separator: " "), size, free))
    }

    /// `df -h` sizes: `20G`, `1.5T`, `512M` (powers of 1024).
    static func humanBytes(_ text: String) -> Double? {
        let scales: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
        guard let last = text.last else { return nil }
        if let scale = scales[last] { return Double(text.dropLast()).map { $0 * scale } }
        return Double(text)
    }

    /// What was found; nil when the log printed none of it.
    func context() -> RunContext? {
        // The first table of each host, in the order the log showed them.
        var usages: [DockerDiskUsage] = []
        for table in dockerTables where !usages.contains(where: { $0.host == table.host }) {
            guard var usage = DockerDiskUsage.parse("TYPE\n" + table.rows.joined(separator: "\n")) else { continue }
            usage.host = table.host
            usages.append(usage)
        }
        var docker = usages.first { $0.host == nil } ?? (usages.count == 1 ? usages[0] : nil)
        if docker?.buildCache == nil, let size = buildxTotal ?? cacheUsage {
            // The summary table had no build cache row (or was not printed): `buildx du` or `df -v` tells it.
            var usage = docker ?? DockerDiskUsage()
            usage.buildCache = DockerDiskUsage.Entry(total: nil, active: nil, size: size, reclaimable: buildxTotal != nil ? buildxReclaimable : nil)
            docker = usage
        }
        let snapshot = { (index: Int) -> MachineSnapshot? in
            guard index < max(self.disks.count, self.loads.count) else { return nil }
            var snapshot = MachineSnapshot(cores: self.cores ?? 0)
            if index < self.loads.count { (snapshot.load1, snapshot.load5, snapshot.load15) = self.loads[index] }
            if index < self.disks.count {
                (snapshot.diskPath, snapshot.diskSizeBytes, snapshot.diskFreeBytes) = (self.disks[index].path, self.disks[index].size, self.disks[index].free)
            }
            return snapshot
        }
        guard docker != nil || !usages.isEmpty || !disks.isEmpty || !loads.isEmpty || dockerRoot != nil else { return nil }
        if let docker, let index = usages.firstIndex(where: { $0.host == docker.host }) { usages[index] = docker }
        return RunContext(start: snapshot(0), end: snapshot(1), docker: docker, dockerHosts: usages.count > 1 ? usages : nil, dockerRoot: dockerRoot)
    }
}
