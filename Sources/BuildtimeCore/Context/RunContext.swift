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

extension RunContext {
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
