import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state of the machine and the change around a run — measured by `record`, or read from what an ingested log
/// printed (`ContextScanner`): what the regression hints reason from.
public struct RunContext: Sendable, Equatable, Codable {
    /// The machine when the command started, and when it ended.
    public var start: MachineSnapshot?
    public var end: MachineSnapshot?
    /// `docker system df` at the start, when docker answered in time: of the machine the log ran on, else of the one
    /// host the log showed.
    public var docker: DockerDiskUsage?
    /// Every Docker host whose `docker system df` the log printed, each labelled (`host` nil for its own machine),
    /// when it printed more than one host's.
    public var dockerHosts: [DockerDiskUsage]?
    /// `docker info --format '{{.DockerRootDir}}'`.
    public var dockerRoot: String?
    /// The commit checked out (`git rev-parse HEAD`), inside a work tree.
    public var gitHead: String?
    /// Files changed since the previous pipeline's commit, and where that list came from (`CI_PIPELINE_FILES`, `git`).
    public var changedFiles: [String]?
    public var changedFilesSource: String?
    /// `CI_PIPELINE_EVENT`: push, pull_request, tag, cron, ...
    public var event: String?
    /// `CI_PREV_COMMIT_SHA`: the commit of the previous pipeline on the branch.
    public var previousCommit: String?
    /// The pipeline's author (Woodpecker's API, `CI_COMMIT_AUTHOR`).
    public var author: String?
    /// When the pipeline was created, started and finished, and when the step started and finished.
    public var times: CITimes?

    public init(start: MachineSnapshot? = nil, end: MachineSnapshot? = nil, docker: DockerDiskUsage? = nil, dockerHosts: [DockerDiskUsage]? = nil,
                dockerRoot: String? = nil, gitHead: String? = nil, changedFiles: [String]? = nil, changedFilesSource: String? = nil,
                event: String? = nil, previousCommit: String? = nil) {
        self.start = start
        self.end = end
        self.docker = docker
        self.dockerHosts = dockerHosts
        self.dockerRoot = dockerRoot
        self.gitHead = gitHead
        self.changedFiles = changedFiles
        self.changedFilesSource = changedFilesSource
        self.event = event
        self.previousCommit = previousCommit
    }
}

/// When the CI queued, started and finished a run: the pipeline's times and the step's, from Woodpecker's API (`pull`)
/// or, inside a step, `CI_PIPELINE_CREATED` and `CI_PIPELINE_STARTED`.
public struct CITimes: Sendable, Equatable, Codable {
    public var pipelineCreated: Date?
    public var pipelineStarted: Date?
    public var pipelineFinished: Date?
    public var stepStarted: Date?
    public var stepFinished: Date?

    public init(pipelineCreated: Date? = nil, pipelineStarted: Date? = nil, pipelineFinished: Date? = nil, stepStarted: Date? = nil, stepFinished: Date? = nil) {
        self.pipelineCreated = pipelineCreated
        self.pipelineStarted = pipelineStarted
        self.pipelineFinished = pipelineFinished
        self.stepStarted = stepStarted
        self.stepFinished = stepFinished
    }

    enum CodingKeys: String, CodingKey { case pipelineCreated, pipelineStarted, pipelineFinished, stepStarted, stepFinished }

    /// ISO-8601 strings, as every time in buildtime's JSON (also the stored context's); unix seconds are read too.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ key: CodingKeys) -> Date? {
            if let text = try? container.decodeIfPresent(String.self, forKey: key) { return DurationFormat.parseDate(text) }
            return (try? container.decodeIfPresent(Double.self, forKey: key)).flatMap { $0.map(Date.init(timeIntervalSince1970:)) }
        }
        self.init(pipelineCreated: time(.pipelineCreated), pipelineStarted: time(.pipelineStarted), pipelineFinished: time(.pipelineFinished),
                  stepStarted: time(.stepStarted), stepFinished: time(.stepFinished))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        for (key, date) in [(CodingKeys.pipelineCreated, pipelineCreated), (.pipelineStarted, pipelineStarted), (.pipelineFinished, pipelineFinished),
                            (.stepStarted, stepStarted), (.stepFinished, stepFinished)] {
            try container.encode(date.map(DurationFormat.iso8601), forKey: key)
        }
    }

    /// How long the pipeline waited for an agent: started − created, when both are known and in that order.
    public var queueSeconds: Double? {
        guard let created = pipelineCreated, let started = pipelineStarted else { return nil }
        let seconds = started.timeIntervalSince(created)
        return seconds >= 0 && seconds < 366 * 86_400 ? seconds : nil
    }
}

extension RunContext {
    /// The author and the pipeline's queue and start that Woodpecker gives a step in its environment
    /// (`CI_COMMIT_AUTHOR`, `CI_PIPELINE_CREATED`, `CI_PIPELINE_STARTED`, unix seconds).
    public mutating func readCI(environment: [String: String]) {
        if let author = environment["CI_COMMIT_AUTHOR"], !author.isEmpty { self.author = author }
        let time = { (key: String) in environment[key].flatMap(Double.init).flatMap { $0 > 0 && $0.isFinite ? Date(timeIntervalSince1970: $0) : nil } }
        let created = time("CI_PIPELINE_CREATED"), started = time("CI_PIPELINE_STARTED")
        if created != nil || started != nil { times = CITimes(pipelineCreated: created, pipelineStarted: started) }
    }

    /// These values, each replaced by `given`'s where it has one: what a CI's API says wins over what its log printed.
    public func overlaid(by given: RunContext) -> RunContext {
        var context = self
        if given.event != nil { context.event = given.event }
        if given.author != nil { context.author = given.author }
        if given.previousCommit != nil { context.previousCommit = given.previousCommit }
        if given.changedFiles != nil { (context.changedFiles, context.changedFilesSource) = (given.changedFiles, given.changedFilesSource) }
        if let times = given.times { context.times = times }
        return context
    }

    /// Each Docker host's `docker system df`: every host the log showed, else the one measured.
    public var dockerUsages: [DockerDiskUsage] { dockerHosts ?? docker.map { [$0] } ?? [] }

    /// Whose `docker system df` `usage` is, when that needs saying: its host, or `this machine` beside other hosts.
    public func host(of usage: DockerDiskUsage) -> String? {
        usage.host ?? (dockerUsages.count > 1 ? "this machine" : nil)
    }
}

/// Load, cores and free disk at one moment.
public struct MachineSnapshot: Sendable, Equatable, Codable {
    public var load1: Double?
    public var load5: Double?
    public var load15: Double?
    public var cores: Int
    /// The file system measured (the Docker root, else `/`).
    public var diskPath: String?
    public var diskSizeBytes: Double?
    public var diskFreeBytes: Double?


    public init(load1: Double? = nil, load5: Double? = nil, load15: Double? = nil, cores: Int, diskPath: String? = nil,
                diskSizeBytes: Double? = nil, diskFreeBytes: Double? = nil) {
        self.load1 = load1
        self.load5 = load5
        self.load15 = load15
        self.cores = cores
        self.diskPath = diskPath
        self.diskSizeBytes = diskSizeBytes
        self.diskFreeBytes = diskFreeBytes
    }

    /// Load averages, cores, and the size and free space of the file system holding `diskPath` (as `df -P` would
    /// report them, without running it), now.
    public static func now(diskPath: String = "/") -> MachineSnapshot {
        var loads = [Double](repeating: 0, count: 3)
        let count = getloadavg(&loads, 3)
        var snapshot = MachineSnapshot(load1: count > 0 ? loads[0] : nil, load5: count > 1 ? loads[1] : nil, load15: count > 2 ? loads[2] : nil,
                                       cores: ProcessInfo.processInfo.activeProcessorCount)
        var stats = statvfs()
        if statvfs(diskPath, &stats) == 0 {
            snapshot.diskPath = diskPath
            snapshot.diskSizeBytes = Double(stats.f_blocks) * Double(stats.f_frsize)
            snapshot.diskFreeBytes = Double(stats.f_bavail) * Double(stats.f_frsize)
        }
        return snapshot
    }
}

// MARK: JSON without the generic coders

// Each writes what its `Encodable` conformance writes through `JSONEncoder` (every key, `null` for a value that is
// nil), keys in the order of their bytes: a listing writes a context per run (PrettyJSONTests holds the two together).

extension RunContext: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) throws {
        try writer.object(depth) { fields in
            fields.string("author", author)
            fields.strings("changedFiles", changedFiles)
            fields.string("changedFilesSource", changedFilesSource)
            try fields.writable("docker", docker)
            try fields.array("dockerHosts", dockerHosts) { try $0.write(to: writer, depth: $1) }
            fields.string("dockerRoot", dockerRoot)
            try fields.writable("end", end)
            fields.string("event", event)
            fields.string("gitHead", gitHead)
            fields.string("previousCommit", previousCommit)
            try fields.writable("start", start)
            try fields.writable("times", times)
        }
    }
}

extension CITimes: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) {
        writer.object(depth) { fields in
            fields.string("pipelineCreated", pipelineCreated.map(DurationFormat.iso8601))
            fields.string("pipelineFinished", pipelineFinished.map(DurationFormat.iso8601))
            fields.string("pipelineStarted", pipelineStarted.map(DurationFormat.iso8601))
            fields.string("stepFinished", stepFinished.map(DurationFormat.iso8601))
            fields.string("stepStarted", stepStarted.map(DurationFormat.iso8601))
        }
    }
}

extension MachineSnapshot: PrettyJSONWritable {
    func write(to writer: PrettyJSON.Writer, depth: Int) {
        writer.object(depth) { fields in
            fields.integer("cores", cores)
            fields.double("diskFreeBytes", diskFreeBytes)
            fields.string("diskPath", diskPath)
            fields.double("diskSizeBytes", diskSizeBytes)
            fields.double("load1", load1)
            fields.double("load15", load15)
            fields.double("load5", load5)
        }
    }
}
