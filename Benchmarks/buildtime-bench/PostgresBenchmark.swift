import BuildtimeCore
import BuildtimePostgres
import Foundation

/// `buildtime-bench postgres --url postgresql://...`: the shared store under load and faults, with the `buildtime`
/// binary of the same build as the agents.
///   1. `writers` agents at once, each ingesting `runs` logs of its own, then every agent the same logs at once:
///      nothing lost, each run stored once, no error surfaced.
///   2. With `--pg-ctl` and `--pg-data`: agents recording runs while the server is stopped and started again: the runs
///      made meanwhile are spooled, and `buildtime push` sends them after the restart.
///   3. `report` and `report --history N` over `reportRuns` runs in PostgreSQL (kept and reused), against the 1 s
///      target.
/// Each step makes its own database (`buildtime_bench_*`) on the server, which the URL's user must be allowed to do.
struct PostgresBenchmark {
    var url: String
    var writers = 16
    var runs = 50
    var reportRuns = 100_000
    var pgCtl: String?
    var pgData: String?
    var directory: String
    var samples: URL
    var binary: URL

    func run() throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchmarkError("build the buildtime binary in the same configuration first: swift build -c release")
        }
        let folder = (directory as NSString).appendingPathComponent("buildtime-bench-postgres")
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let templates = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".log.gz") }.sorted()
            .map { try gunzip(samples.appending(path: $0).path) }

        try load(templates: templates, folder: folder)
        if let pgCtl, let pgData { try fault(templates: templates, folder: folder, pgCtl: pgCtl, pgData: pgData) }
        else { say("2. faults: skipped (give --pg-ctl PATH --pg-data DIR to stop and start the server)") }
        try report(templates: templates)
    }

    /// Writes `count` distinct logs (a sample log with a line of its own at the end) under `folder/name`.
    private func logs(_ templates: [Data], count: Int, folder: String, name: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: "\(folder)/\(name)", withIntermediateDirectories: true)
        return try (0..<count).map { index in
            let path = "\(folder)/\(name)/\(index).log"
            var data = templates[index % templates.count]
            data.append(Data("\n# \(name) \(index)\n".utf8))
            try data.write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    private func load(templates: [Data], folder: String) throws {
        let database = try recreate("buildtime_bench_load")
        _ = try PostgresStore(location: PostgresLocation(uri: database))
        let own = try (0..<writers).map { try logs(templates, count: runs, folder: folder, name: "writer-\($0)") }
        let started = Date()
        let first = try concurrently(own.map { ["ingest", "--db", database] + $0 })
        let wall = Date().timeIntervalSince(started)
        let store = try PostgresStore(location: PostgresLocation(uri: database))
        let stored = try store.points(limit: nil).count
        say(String(format: "1. %d agents × %d runs each at once: %.1f s wall (%.0f runs/s), %d of %d stored, %d agents failed, %d error lines",
                     writers, runs, wall, Double(writers * runs) / wall, stored, writers * runs, first.failed, first.errorLines))
        let shared = try logs(templates, count: runs, folder: folder, name: "shared")
        let again = Date()
        let second = try concurrently(Array(repeating: ["ingest", "--db", database] + shared, count: writers))
        let sameWall = Date().timeIntervalSince(again)
        let after = try store.points(limit: nil).count
        say(String(format: "   %d agents × the same %d runs at once: %.1f s wall, %d stored (once each: %d), %d agents failed, %d error lines",
                     writers, runs, sameWall, after - stored, runs, second.failed, second.errorLines))
    }

    private func fault(templates: [Data], folder: String, pgCtl: String, pgData: String) throws {
        let database = try recreate("buildtime_bench_fault")
        _ = try PostgresStore(location: PostgresLocation(uri: database))
        let agents = 4, each = 15
        let logs = try (0..<agents).map { try self.logs(templates, count: each, folder: folder, name: "agent-\($0)") }
        let spools = (0..<agents).map { "\(folder)/spool-\($0).sqlite" }
        let outcomes = Outcomes()
        let group = DispatchGroup()
        for agent in 0..<agents {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                for log in logs[agent] {
                    let result = try? execute(["record", "--db", database, "--", "cat", log], environment: ["BUILDTIME_SPOOL": spools[agent]])
                    outcomes.add(status: result?.status ?? -1, spooled: result?.stderr.contains("the run is kept in") == true)
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
        }
        // A third of the way in, the server stops; 3 s later it starts again.
        while outcomes.count < agents * each / 3 { Thread.sleep(forTimeInterval: 0.02) }
        let stopped = try control(pgCtl, ["-D", pgData, "-m", "fast", "-w", "stop"])
        Thread.sleep(forTimeInterval: 3)
        // The server's output goes to a log of its own: it outlives this command.
        let restarted = try control(pgCtl, ["-D", pgData, "-l", "\(pgData)/../buildtime-bench-server.log", "-w", "start"])
        group.wait()
        let spooled = outcomes.spooled
        var pushed = 0
        for spool in spools where FileManager.default.fileExists(atPath: spool) {
            let result = try execute(["push", "--db", database], environment: ["BUILDTIME_SPOOL": spool])
            if result.status == 0 { pushed += 1 }
        }
        let stored = try PostgresStore(location: PostgresLocation(uri: database)).points(limit: nil).count
        let left = try spools.filter { FileManager.default.fileExists(atPath: $0) }.map { try SQLiteStore(path: $0, mode: .existing).points(limit: nil).count }.reduce(0, +)
        say("2. \(agents) agents recording \(each) runs each, the server stopped (\(stopped ? "ok" : "failed")) and started 3 s later (\(restarted ? "ok" : "failed")): "
              + "\(spooled) runs spooled, every command's status kept: \(outcomes.statuses == [0]); after `push`: \(stored) of \(agents * each) stored, \(left) left in the spools")
    }

    private func report(templates: [Data]) throws {
        let name = "buildtime_bench_report_\(reportRuns)"
        let database = PostgresLocation.uri(url, database: name)
        let existing = (try? PostgresStore(location: PostgresLocation(uri: database)).points(limit: nil).count) ?? -1
        if existing != reportRuns {
            _ = try recreate(name)
            let store = try PostgresStore(location: PostgresLocation(uri: database))
            let runs = try templates.map { try Ingester(configuration: .default).run(from: MemoryByteSource(Array($0)), name: "bench") }
            var generator = SystemRandomNumberGenerator()
            let fill = try seconds {
                var batch: [Run] = []
                for index in 0..<reportRuns {
                    batch.append(benchmarkRun(index, of: runs, using: &generator))
                    if batch.count == 1000 || index == reportRuns - 1 {
                        _ = try store.save(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
            }
            say(String(format: "3. stored %d runs in PostgreSQL in %.1f s (%.0f runs/s)", reportRuns, fill, Double(reportRuns) / fill))
        } else {
            say("3. reusing \(reportRuns) runs in \(name)")
        }
        for arguments in [["report"], ["report", "--history", String(reportRuns)]] {
            var status: Int32 = 0
            let wall = try best(of: 3) { status = try execute(arguments + ["--db", database], environment: [:]).status }
            say(String(format: "   buildtime %@ over %d runs in PostgreSQL: %.3f s wall (%.2f of the 1 s target), status %d",
                         arguments.joined(separator: " "), reportRuns, wall, wall, status))
        }
    }

    // MARK: helpers

    /// Drops and creates database `name` on the server; its URL.
    private func recreate(_ name: String) throws -> String {
        for command in ["DROP DATABASE IF EXISTS \(name) WITH (FORCE)", "CREATE DATABASE \(name)"] {
            let result = try execute(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", command], program: URL(fileURLWithPath: "/usr/bin/env"), environment: [:])
            guard result.status == 0 else { throw BenchmarkError("psql: \(result.stderr)") }
        }
        return PostgresLocation.uri(url, database: name)
    }

    /// Runs the commands at once, each as its own process; how many failed and how many error or warning lines they wrote.
    private func concurrently(_ commands: [[String]]) throws -> (failed: Int, errorLines: Int) {
        let outcomes = Outcomes()
        DispatchQueue.concurrentPerform(iterations: commands.count) { index in
            let result = try? execute(commands[index], environment: [:])
            let errors = result?.stderr.split(separator: "\n").filter { $0.hasPrefix("Error") || $0.contains("warning:") }.count ?? 1
            outcomes.add(status: result?.status ?? -1, spooled: false, errorLines: errors)
        }
        return (outcomes.failures, outcomes.errorLines)
    }

    private func execute(_ arguments: [String], program: URL? = nil, environment: [String: String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = program ?? binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let errors = Pipe()
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = errors
        try process.run()
        let text = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: text, as: UTF8.self))
    }

    /// `pg_ctl ARGS`, as the data directory's owner when this runs as root; spawned and waited for by hand (the
    /// server it starts outlives it, and Foundation's `Process` was seen to wait for ever then).
    private func control(_ pgCtl: String, _ arguments: [String]) throws -> Bool {
        let words = (getuid() == 0 ? ["runuser", "-u", "postgres", "--", pgCtl] : [pgCtl]) + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var arguments = words.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, words[0], &actions, nil, &arguments, environ) == 0 else { return false }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status == 0
    }

    private func gunzip(_ path: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }
}

/// A figure, written at once (stdout is buffered into a pipe).
private func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// What the agents did, counted from several threads.
private final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var _statuses = Set<Int32>(), _count = 0, _spooled = 0, _failures = 0, _errorLines = 0
    func add(status: Int32, spooled: Bool, errorLines: Int = 0) {
        lock.lock(); defer { lock.unlock() }
        _statuses.insert(status)
        _count += 1
        if spooled { _spooled += 1 }
        if status != 0 { _failures += 1 }
        _errorLines += errorLines
    }
    var count: Int { lock.lock(); defer { lock.unlock() }; return _count }
    var spooled: Int { lock.lock(); defer { lock.unlock() }; return _spooled }
    var statuses: Set<Int32> { lock.lock(); defer { lock.unlock() }; return _statuses }
    var failures: Int { lock.lock(); defer { lock.unlock() }; return _failures }
    var errorLines: Int { lock.lock(); defer { lock.unlock() }; return _errorLines }
}

