import BuildtimeCore
import Foundation
import Subprocess

/// Gathers a recorded run's context with small helper commands (docker, df, git), each under a time limit; whatever
/// is missing, fails or hangs is simply left out, so capturing never holds up or breaks the deploy.
struct ContextCapture: Sendable {
    let environment: [String: String]
    /// How long one helper may take; `docker system df` can be slow on a big cache.
    var timeLimit: Duration = .seconds(5)

    /// What can be known while the command runs: the machine at the start, docker's disk usage, git and CI facts.
    /// `snapshot` is the machine when the command started; its disk is measured again on the Docker root.
    func atStart(_ snapshot: MachineSnapshot) async -> RunContext {
        async let dockerRoot = output(of: ["docker", "info", "--format", "{{.DockerRootDir}}"])
        async let dockerUsage = output(of: ["docker", "system", "df", "--format", "{{json .}}"])
        async let head = output(of: ["git", "rev-parse", "HEAD"])
        var context = RunContext(event: environment["CI_PIPELINE_EVENT"], previousCommit: environment["CI_PREV_COMMIT_SHA"])
        context.readCI(environment: environment)
        context.dockerRoot = await dockerRoot?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty
        var start = snapshot
        // The Docker root's file system when it can be measured, else the root file system's.
        if let root = context.dockerRoot, case let disk = MachineSnapshot.now(diskPath: root), disk.diskFreeBytes != nil {
            (start.diskPath, start.diskSizeBytes, start.diskFreeBytes) = (disk.diskPath, disk.diskSizeBytes, disk.diskFreeBytes)
        }
        context.start = start
        context.docker = await dockerUsage.flatMap(DockerDiskUsage.parse)
        context.gitHead = await head?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty
        if let files = RunMetadata.changedFiles(environment: environment) {
            context.changedFiles = files
            context.changedFilesSource = "CI_PIPELINE_FILES"
        } else if let previous = context.previousCommit, let head = context.gitHead,
                  let diff = await output(of: ["git", "diff", "--name-only", previous, head]) {
            context.changedFiles = diff.split(whereSeparator: \.isNewline).map(String.init)
            context.changedFilesSource = "git"
        }
        return context
    }

    /// Without CI's list of changed files: what git says changed since `previous` (the previous recorded run's commit).
    func addChanges(to context: inout RunContext, since previous: String, head: String) async {
        guard previous != head, let diff = await output(of: ["git", "diff", "--name-only", previous, head]) else { return }
        context.changedFiles = diff.split(whereSeparator: \.isNewline).map(String.init)
        context.changedFilesSource = "git"
        context.previousCommit = context.previousCommit ?? previous
    }

    /// The machine at the end, measured on the same file system as at the start.
    func atEnd(path: String?) -> MachineSnapshot {
        MachineSnapshot.now(diskPath: path ?? "/")
    }

    /// The standard output of a helper that exited 0 within the time limit, else nil.
    func output(of command: [String]) async -> String? {
        guard !Task.isCancelled else { return nil }
        let limit = timeLimit
        var options = PlatformOptions()
        // Its own process group: stopping a helper stops whatever it started too.
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .zero)]
        let result = try? await Subprocess.run(
            ExecutableLookup.executable(command[0], environment: environment), arguments: Arguments(Array(command.dropFirst())),
            platformOptions: options, input: .none, output: .sequence, error: .discarded
        ) { execution -> String in
            try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    var bytes: [UInt8] = []
                    for try await chunk in execution.standardOutput where bytes.count < 1 << 20 {
                        chunk.withUnsafeBytes { bytes.append(contentsOf: $0) }
                    }
                    return String(decoding: bytes, as: UTF8.self)
                }
                group.addTask {
                    try await Task.sleep(for: limit)
                    throw CancellationError()
                }
                // A helper past its limit makes the body throw, and Subprocess then ends the helper.
                let text = try await group.next()!
                group.cancelAll()
                return text
            }
        }
        guard let result, result.terminationStatus.isSuccess else { return nil }
        return result.closureResult
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
