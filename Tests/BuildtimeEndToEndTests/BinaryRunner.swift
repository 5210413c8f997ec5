import Foundation

/// Runs the built `buildtime` binary, as a user would, and captures what it prints.
struct BinaryRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary built next to the test bundle.
    static let binary: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appending(path: "buildtime")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return repositoryRoot.appending(path: ".build/debug/buildtime")
    }()

    /// A fresh folder for one test, holding its database.
    let directory: URL
    var database: URL { directory.appending(path: "db/buildtime.sqlite") }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appending(path: "buildtime-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    /// Runs `buildtime ARGS` with this test's database, in the repository root unless told otherwise.
    func run(_ arguments: [String], stdin: String? = nil, binary: URL = BinaryRunner.binary, environment extra: [String: String] = [:],
             workingDirectory: URL = BinaryRunner.repositoryRoot) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        var environment = ProcessInfo.processInfo.environment
        environment["BUILDTIME_DB"] = database.path
        environment["NO_COLOR"] = "1"
        environment.merge(extra) { $1 }
        process.environment = environment
        // Output goes to files, not pipes: nothing to drain concurrently, and a chatty child cannot block.
        let outURL = directory.appending(path: "stdout-\(UUID().uuidString)")
        let errURL = directory.appending(path: "stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let stdoutData = try Data(contentsOf: outURL), stderrData = try Data(contentsOf: errURL)
        return Result(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self), stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// Starts `buildtime ARGS` with this test's database, its stdout going to the returned file, stderr nowhere, and
    /// returns once that output holds `ready` (at most 20 s: however slow the machine is, the command runs by then).
    func start(_ arguments: [String], until ready: String, environment extra: [String: String] = [:]) throws -> (process: Process, output: URL) {
        let output = directory.appending(path: "output-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = BinaryRunner.binary
        process.arguments = arguments
        process.currentDirectoryURL = BinaryRunner.repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(["BUILDTIME_DB": database.path].merging(extra) { $1 }) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? String(contentsOf: output, encoding: .utf8))?.contains(ready) != true {
            Thread.sleep(forTimeInterval: 0.05)
        }
        return (process, output)
    }

    /// Writes a file in this test's folder and returns its path.
    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let url = directory.appending(path: name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
        return url.path
    }
}
