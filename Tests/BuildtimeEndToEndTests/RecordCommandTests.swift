import Foundation
import GRDB
import Testing

@Suite struct RecordCommandTests {
    /// A deploy script shaped like the product brief's, quick: markers on stdout, a warning on stderr.
    private func script(_ runner: BinaryRunner, exit status: Int = 0) throws -> String {
        let path = try runner.write("deploy.sh", """
            #!/bin/sh
            echo "Building Docker images in parallel..."
            sleep 0.6
            echo "WARNING: a warning on stderr" >&2
            echo "✅ All images built and tagged"
            sleep 0.4
            echo "✅ All containers deployed successfully"
            echo "run id: $BUILDTIME_RUN_ID db: $BUILDTIME_DB"
            exit \(status)
            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    @Test func passesOutputThroughAndStoresTheRun() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let result = try runner.run(["record", "--", try script(runner, exit: 3)], environment: ["CI_PIPELINE_NUMBER": "77", "CI_COMMIT_SHA": "abc123"])
        #expect(result.status == 3)
        #expect(result.stdout.hasPrefix("Building Docker images in parallel...\n✅ All images built and tagged\n✅ All containers deployed successfully\nrun id: "))
        #expect(result.stdout.contains("db: \(runner.database.path)"))
        // The command's stderr, then one line of buildtime's naming the run it stored.
        let said = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(said.count == 3 && said[0] == "WARNING: a warning on stderr" && said[2].isEmpty, "\(result.stderr)")
        #expect(said[1].hasPrefix("buildtime: stored run 1 (pipeline #77): ") && said[1].contains(", failed, total "), "\(said[1])")
        let quiet = try runner.run(["record", "--quiet", "--", try script(runner, exit: 0)])
        #expect(quiet.stderr == "WARNING: a warning on stderr\n")
        let list = try runner.run(["show", "#77", "--format", "json"])
        let run = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        #expect(run["status"] as? String == "failed")
        #expect(run["exitCode"] as? Int == 3)
        #expect(run["pipeline"] as? Int == 77)
        #expect(run["commit"] as? String == "abc123")
        let phases = try #require(run["phases"] as? [[String: Any]])
        let build = try #require(phases.first?["durationSeconds"] as? Double)
        let deploy = try #require(phases.last?["durationSeconds"] as? Double)
        // Lines are stamped when buildtime reads them; on a loaded machine a read can come late, so the bounds are loose.
        #expect(build >= 0.3 && build < 5)
        #expect(deploy >= 0.1 && deploy < 5)
    }

    /// Into a pipe, the output is passed on by tee(2): every byte exact, and a reader that stops early changes nothing
    /// for the command.
    /// A run is one per step of a pipeline (its team key): a second record in the same step says how to keep both.
    @Test func aSecondRecordInTheSameStepSaysHowToKeepIt() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let step = ["CI_REPO": "team/app", "CI_PIPELINE_NUMBER": "78", "CI_WORKFLOW_NAME": "build", "CI_STEP_NAME": "deploy"]
        let first = try runner.run(["record", "--", "echo", "one"], environment: step)
        #expect(first.status == 0 && first.stderr.hasPrefix("buildtime: stored run 1"), "\(first.stderr)")
        let second = try runner.run(["record", "--", "echo", "two"], environment: step)
        #expect(second.status == 0 && second.stdout == "two\n")
        #expect(second.stderr.contains("already stored as run 1") && second.stderr.contains("--name NAME"), "\(second.stderr)")
        let named = try runner.run(["record", "--name", "smoke", "--", "echo", "three"], environment: step)
        #expect(named.stderr.hasPrefix("buildtime: stored run "), "\(named.stderr)")
        let list = try runner.run(["runs", "--format", "json"])
        #expect(list.stdout.components(separatedBy: "\"fingerprint\"").count - 1 == 2, "\(list.stdout)")
    }

    @Test func bytesIntoAPipeAreExactAndAnEarlyCloseIsHarmless() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        var bytes: [UInt8] = []
        var state: UInt32 = 7
        while bytes.count < 6_000_000 {
            state = state &* 1_103_515_245 &+ 12345
            // Mostly text lines, some invalid UTF-8 and carriage returns, no final newline.
            bytes += state % 97 == 0 ? [0xFF, 0xFE, 0x0D] : Array("#\(state % 50) [2/7] RUN step \(state)\n".utf8)
        }
        let input = runner.directory.appending(path: "input.bin")
        try Data(bytes).write(to: input)
        let output = runner.directory.appending(path: "output.bin")
        let binary = BinaryRunner.binary.path
        let piped = try runner.run(["-c", "'\(binary)' record -- cat '\(input.path)' | cat > '\(output.path)'; echo ${PIPESTATUS[0]}"],
                                   binary: URL(fileURLWithPath: "/bin/bash"))
        #expect(piped.stdout == "0\n", "\(piped.stderr)")
        #expect(try Data(contentsOf: output) == Data(bytes))

        // The reader leaves after 100 bytes: as without buildtime, `cat` meets the closed pipe and the script goes on to
        // its own exit status, which buildtime returns (it is not killed by SIGPIPE itself), and the run is stored.
        let early = try runner.run(["-c", "'\(binary)' record -- sh -c 'cat \"$0\"; echo \"cat: $?\" >&2; exit 4' '\(input.path)' | head -c 100 > /dev/null; echo ${PIPESTATUS[0]}"],
                                   binary: URL(fileURLWithPath: "/bin/bash"))
        // The plain pipeline as a CI shell runs it, SIGPIPE at its default: this test process may ignore it (SwiftNIO,
        // in the PostgreSQL tests, does), and an ignored signal is inherited.
        let plain = try runner.run(["-c", "env --default-signal=PIPE sh -c 'cat \"$0\"; echo \"cat: $?\" >&2; exit 4' '\(input.path)' | head -c 100 > /dev/null; echo ${PIPESTATUS[0]}"],
                                   binary: URL(fileURLWithPath: "/bin/bash"))
        #expect(early.stdout == "4\n" && plain.stdout == "4\n")
        let own = early.stderr.split(separator: "\n").filter { !$0.hasPrefix("buildtime: stored run ") }
        #expect(own == plain.stderr.split(separator: "\n"), "the command saw the same closed pipe")
        let runs = try runner.run(["runs", "--format", "json"])
        let stored = try #require(try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])
        #expect(stored.map { $0["exitCode"] as? Int } == [4, 0])
    }

    /// 5 MB into a pipe, with 1 MB kept in memory for an analysis that falls far behind `cat`: most chunks wait in the
    /// spill file, or, when no spill file can be made (TMPDIR missing), the reader waits for the analysis. Either way
    /// every byte passes through, and every line reaches the analysis, in order.
    @Test(arguments: [nil, "/proc/buildtime-no-such-dir"])
    func aLargeOutputIsAnalysedWhole(temporaryDirectory: String?) throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        var lines = ["Building Docker images in parallel..."]
        var step = 0
        while lines.count < 100_000 {
            step += 1
            lines += ["#\(step) [api \(step % 7 + 1)/7] RUN pip install -r requirements.txt",
                      "#\(step) 0.\(step % 1000) Collecting package-\(step)==1.\(step % 10).0 (from -r requirements.txt (line \(step % 40)))",
                      "#\(step) DONE 0.\(step % 10)s"]
        }
        lines += ["✅ All images built and tagged", "✅ All containers deployed successfully"]
        let text = lines.joined(separator: "\n") + "\n"
        let input = runner.directory.appending(path: "input.log")
        try Data(text.utf8).write(to: input)
        let output = runner.directory.appending(path: "output.log")
        let log = runner.directory.appending(path: "stamped.log")
        let binary = BinaryRunner.binary.path
        let piped = try runner.run(["-c", "'\(binary)' record --log '\(log.path)' -- cat '\(input.path)' | cat > '\(output.path)'; echo ${PIPESTATUS[0]}"],
                                   binary: URL(fileURLWithPath: "/bin/bash"),
                                   environment: ["BUILDTIME_RECORD_MEMORY": "1"].merging(temporaryDirectory.map { ["TMPDIR": $0] } ?? [:]) { $1 })
        #expect(piped.stdout == "0\n", "\(piped.stderr)")
        #expect(try Data(contentsOf: output) == Data(text.utf8))
        // The stamped log is written by the analysis: the command's lines, each after its stamp, between buildtime's own.
        let stamped = try String(contentsOf: log, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let analysed = stamped.map { $0.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).last.map(String.init) ?? "" }
        #expect(analysed.count == lines.count + 2)
        #expect(Array(analysed.dropFirst().dropLast()) == lines)
        let show = try runner.run(["show", "latest", "--format", "json"])
        let run = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let phases = try #require(run["phases"] as? [[String: Any]])
        #expect(phases.map { $0["name"] as? String } == ["build", "deploy"])
    }

    @Test func theLogReadsBackToTheSameRun() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let log = runner.directory.appending(path: "run.log").path
        #expect(try runner.run(["record", "--log", log, "--", try script(runner)]).status == 0)
        let again = try runner.run(["ingest", log])
        #expect(again.stdout.contains("already stored, nothing added"))
        let recorded = try runner.run(["show", "latest", "--format", "json"])
        let other = try BinaryRunner()
        defer { other.cleanUp() }
        #expect(try other.run(["ingest", log]).status == 0)
        let ingested = try other.run(["show", "latest", "--format", "json"])
        func facts(_ json: String) throws -> [String] {
            let run = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let phases = try #require(run["phases"] as? [[String: Any]])
            return [run["fingerprint"], run["status"], run["exitCode"], run["totalSeconds"], run["startedAt"]].map { "\($0 ?? "nil")" }
                + phases.map { "\($0["name"] ?? "") \($0["durationSeconds"] ?? "")" }
        }
        let (fromRecord, fromLog) = (try facts(recorded.stdout), try facts(ingested.stdout))
        #expect(fromRecord == fromLog)
    }

    @Test func signalsAreForwardedAndReportedAs128PlusN() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        // Signal once the command runs.
        let (process, _) = try runner.start(["record", "--", "sh", "-c", "echo ready; exec sleep 30"], until: "ready")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGTERM)
        let run = try runner.run(["runs", "--format", "json"])
        #expect(run.stdout.contains("\"status\" : \"interrupted\""))
    }

    /// A signal goes to the command's whole process group, as a terminal's would: a shell waiting for its child stops
    /// when the child does, not when the child would have finished.
    @Test func aSignalReachesTheWholeProcessGroup() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let (process, output) = try runner.start(["record", "--", "sh", "-c", "echo ready; sleep 60; echo after"], until: "ready")
        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        // The sleep was killed with the shell: far sooner than its 60 s.
        #expect(Date().timeIntervalSince(signalled) < 30)
        #expect(process.terminationStatus == 128 + SIGTERM)
        #expect(try String(contentsOf: output, encoding: .utf8) == "ready\n")
    }

    /// A background process the command started keeps the output pipe open after the command exits: record passes
    /// on what comes within a short grace and returns the command's status, without waiting for it.
    @Test func aBackgroundProcessHoldingTheOutputDoesNotHoldTheRecord() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let started = Date()
        let result = try runner.run(["record", "--", "sh", "-c", "(sleep 60) & echo started; exit 5"])
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(result.status == 5)
        #expect(result.stdout == "started\n")
        #expect(try runner.run(["show", "latest", "--format", "json"]).stdout.contains("\"exitCode\" : 5"))
    }

    /// record's own first line holds the command line, which may print a marker: it is never taken for one.
    @Test func theRecordHeaderIsNoMarker() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let script = "sleep 0.3; echo 'Building Docker images in parallel...'; echo '✅ All images built and tagged'"
        #expect(try runner.run(["record", "--", "sh", "-c", script]).status == 0)
        let show = try runner.run(["show", "latest", "--format", "json"])
        let run = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let build = try #require((run["phases"] as? [[String: Any]])?.first { $0["name"] as? String == "build" })
        #expect(build["startLine"] as? Int == 2 && build["endLine"] as? Int == 3)
    }

    /// A broken .buildtime.yml does not stop the command; the run is stored without phases and says why.
    @Test func aBrokenConfigurationStillRunsTheCommand() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let config = try runner.write("bad.yml", "phases:\n  - nam: build\n")
        let result = try runner.run(["record", "--config", config, "--", "sh", "-c", "echo 'Building Docker images in parallel...'; exit 3"])
        #expect(result.status == 3)
        #expect(result.stdout == "Building Docker images in parallel...\n")
        #expect(result.stderr.hasPrefix("buildtime: warning: \(config):2: unknown phase setting 'nam' (known: name, start, end); running the command, the run is stored without phases\nbuildtime: stored run 1: "))
        let show = try runner.run(["show", "latest", "--format", "json"])
        let run = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        #expect((run["phases"] as? [Any])?.isEmpty == true)
        #expect((run["configurationError"] as? String)?.hasPrefix("\(config):2: unknown phase setting 'nam'") == true)
        #expect(try runner.run(["show", "latest"]).stdout.contains("config    not used, phases not measured: \(config):2:"))
    }

    @Test(arguments: ["/proc/buildtime-cannot-exist/db.sqlite", "corrupt"])
    func aBrokenDatabaseNeverBreaksTheCommand(_ database: String) throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        var path = database
        if database == "corrupt" {
            path = try runner.write("corrupt.sqlite", String(repeating: "not a database\n", count: 200))
        }
        let result = try runner.run(["record", "--db", path, "--", "sh", "-c", "echo out; echo err >&2; exit 4"])
        #expect(result.status == 4)
        #expect(result.stdout == "out\n")
        #expect(result.stderr.hasPrefix("err\nbuildtime: warning: the run was not stored: cannot open database \(path)"))
        #expect(result.stderr.split(separator: "\n").count == 2)
    }

    @Test func aMissingCommandIsExit127() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let result = try runner.run(["record", "--", "/nonexistent/deploy.sh"])
        #expect(result.status == 127)
        #expect(result.stderr.contains("cannot run /nonexistent/deploy.sh"))
        let usage = try runner.run(["record"])
        #expect(usage.status == 64)
        let help = try runner.run(["record", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: buildtime record"))
        // Everything after -- belongs to the command, its flags too.
        let flags = try runner.run(["record", "--", "sh", "-c", "echo \"$0 $1\"", "--help", "-x"])
        #expect(flags.stdout == "--help -x\n")
    }
}

@Suite struct RecordContextTests {
    /// A `docker` on PATH that answers as a real one would, or hangs.
    private func fakeDocker(_ runner: BinaryRunner, hangs: Bool) throws -> String {
        let bin = runner.directory.appending(path: "bin")
        // Hanging, it starts a process of its own that hangs too, and notes its pid.
        let script = hangs ? "#!/bin/sh\nsleep 30 & echo $! > \"\(runner.directory.path)/helper-child-$$.pid\"\nwait\n" : """
            #!/bin/sh
            case "$1 $2" in
              "info --format") echo "\(runner.directory.path)" ;;
              "system df")
                echo '{"Active":"3","Reclaimable":"2.498GB (94%)","Size":"2.631GB","TotalCount":"6","Type":"Images"}'
                echo '{"Active":"0","Reclaimable":"41.2GB","Size":"45.03GB","TotalCount":"939","Type":"Build Cache"}' ;;
              *) exit 1 ;;
            esac
            """
        let path = try runner.write("bin/docker", script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }

    private func context(_ runner: BinaryRunner) throws -> [String: Any] {
        let show = try runner.run(["show", "latest", "--format", "json"])
        let run = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        return try #require(run["context"] as? [String: Any])
    }

    @Test func dockerDiskUsageLoadAndDiskAreStored() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let path = try fakeDocker(runner, hangs: false)
        // The helpers only run as long as the command does: a deploy outlasts them, so this command does too.
        let result = try runner.run(["record", "--", "sleep", "2"], environment: ["PATH": path, "CI_PIPELINE_FILES": #"["requirements.txt"]"#, "CI_PIPELINE_EVENT": "push"])
        #expect(result.status == 0, "\(result.stderr)")
        let context = try context(runner)
        let docker = try #require(context["docker"] as? [String: Any])
        let cache = try #require(docker["buildCache"] as? [String: Any])
        #expect(cache["size"] as? Double == 45.03e9)
        #expect(cache["reclaimable"] as? Double == 41.2e9)
        #expect(context["dockerRoot"] as? String == runner.directory.path)
        let start = try #require(context["start"] as? [String: Any])
        #expect((start["cores"] as? Int ?? 0) >= 1)
        #expect(start["diskPath"] as? String == runner.directory.path)
        #expect((start["diskFreeBytes"] as? Double ?? 0) > 0)
        #expect(context["end"] is [String: Any])
        #expect(context["changedFiles"] as? [String] == ["requirements.txt"])
        #expect(context["event"] as? String == "push")
        let table = try runner.run(["show", "latest"]).stdout
        #expect(table.contains("free on \(runner.directory.path), build cache 45.0GB (41.2GB reclaimable)"))
        #expect(table.contains("  changed   requirements.txt"))
    }

    @Test func aHangingDockerIsSkippedInTime() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let path = try fakeDocker(runner, hangs: true)
        let started = Date()
        let result = try runner.run(["record", "--", "sh", "-c", "sleep 3; exit 2"], environment: ["PATH": path, "BUILDTIME_CONTEXT_TIMEOUT": "1"])
        #expect(result.status == 2)
        #expect(Date().timeIntervalSince(started) < 20)
        let context = try context(runner)
        #expect(context["docker"] is NSNull)
        #expect(context["dockerRoot"] is NSNull)
        #expect(context["start"] is [String: Any])
    }

    @Test func aShortCommandDoesNotWaitForItsHelpers() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let path = try fakeDocker(runner, hangs: true)
        let started = Date()
        // The helpers start 0.1 s in (1.4 s is ample for the fake docker to start its child); docker would answer after
        // 30 s and may take 5: the command's end stops it.
        let result = try runner.run(["record", "--", "sh", "-c", "echo done; sleep 1.5; exit 3"], environment: ["PATH": path])
        #expect(result.status == 3)
        #expect(result.stdout == "done\n")
        #expect(Date().timeIntervalSince(started) < 4)
        let context = try context(runner)
        #expect(context["docker"] is NSNull)
        #expect(context["start"] is [String: Any])
        #expect(context["end"] is [String: Any])
        // The helpers were stopped with what they started: no `sleep 30` is left behind.
        let pids = try FileManager.default.contentsOfDirectory(atPath: runner.directory.path).filter { $0.hasPrefix("helper-child-") }
            .compactMap { Int32(try String(contentsOf: runner.directory.appending(path: $0), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(!pids.isEmpty)
        func running(_ pid: Int32) -> Bool {
            // A killed orphan may stay a zombie until it is reaped: that is not running.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return !(stat.split(separator: ")").last?.split(separator: " ").first == "Z")
        }
        let deadline = Date().addingTimeInterval(2)
        while pids.contains(where: running), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!pids.contains(where: running))
    }
}

@Suite struct NestedStepTests {
    private func show(_ runner: BinaryRunner) throws -> [String: Any] {
        let show = try runner.run(["show", "latest", "--format", "json"])
        return try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
    }

    /// The deploy script of samples/record with its stand-in docker: three builds as parallel nested steps.
    @Test func theSampleDeployGivesExactOverlappingImageBuilds() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let samples = BinaryRunner.repositoryRoot.appending(path: "samples/record").path
        let path = [samples, BinaryRunner.binary.deletingLastPathComponent().path, ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].joined(separator: ":")
        let result = try runner.run(["record", "--", "samples/record/deploy.sh"], environment: ["PATH": path, "BUILD_DELAY": "0.15"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("Building Docker images in parallel...\n"))
        #expect(result.stderr.contains("#0 building with \"default\" instance using docker driver"))
        let run = try show(runner)
        let steps = try #require(run["steps"] as? [[String: Any]])
        #expect(Set(steps.compactMap { $0["name"] as? String }) == ["trading-dashboard", "trading-dashboard-flask", "cookie-refresher"])
        // Parallel: every step starts before any ends.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let intervals = steps.compactMap { step -> (Date, Date)? in
            guard let start = (step["startedAt"] as? String).flatMap(formatter.date(from:)), let duration = step["durationSeconds"] as? Double else { return nil }
            return (start, start.addingTimeInterval(duration))
        }
        #expect(intervals.count == 3)
        #expect(intervals.map(\.0).max()! < intervals.map(\.1).min()!)
        let images = try #require(run["images"] as? [[String: Any]])
        #expect(images.count == 3)
        #expect(images.allSatisfy { $0["attribution"] as? String == "exact" })
        #expect(images.allSatisfy { ($0["classification"] as? [String: Any])?["class"] as? String == "code-only" })
        let classification = try #require(run["classification"] as? [String: Any])
        #expect(classification["class"] as? String == "code-only")
        #expect(classification["confidence"] as? String == "high")
        let phases = try #require(run["phases"] as? [[String: Any]])
        #expect(phases.allSatisfy { $0["missingMarker"] is NSNull })
        #expect((run["context"] as? [String: Any])?["dockerRoot"] as? String == "/var/lib/docker")
    }

    @Test func eightParallelWritersAndAnIngestLoseNothing() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let binary = BinaryRunner.binary.path
        let script = try runner.write("parallel.sh", """
            #!/bin/sh
            for n in 1 2 3 4 5 6 7 8; do "\(binary)" record --step "s$n" -- sh -c 'echo step; sleep 0.2' & done
            "\(binary)" ingest samples/logs/cold.log > /dev/null &
            wait
            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let result = try runner.run(["record", "--", script])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("warning"))
        let list = try runner.run(["runs", "--format", "json"])
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(runs.count == 2)
        let recorded = try #require(runs.first { $0["source"] as? String == "record" })
        #expect((recorded["steps"] as? [[String: Any]])?.count == 8)
    }

    @Test func aStepOutsideARecordedRunIsARunOfItsOwn() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let result = try runner.run(["record", "--step", "alone", "--", "true"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("--step outside a recorded run"))
        #expect(try show(runner)["step"] as? String == "alone")
    }
}

@Suite struct NeverBreakTheDeployTests {
    /// Another connection that holds an exclusive lock on the runner's database until `unlock`.
    static func lock(_ runner: BinaryRunner) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let holder = try DatabaseQueue(path: runner.database.path, configuration: configuration)
        try holder.writeWithoutTransaction { try $0.execute(sql: "BEGIN EXCLUSIVE") }
        return holder
    }

    static func unlock(_ holder: DatabaseQueue) {
        try? holder.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
    }

    @Test func aDatabaseLockedPastTheBusyTimeout() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["record", "--", "true"]).status == 0)
        // Another writer holds the database for the whole run.
        let holder = try Self.lock(runner)
        defer { Self.unlock(holder) }
        let result = try runner.run(["record", "--", "sh", "-c", "echo through; exit 6"], environment: ["BUILDTIME_BUSY_TIMEOUT": "0.5"])
        #expect(result.status == 6)
        #expect(result.stdout == "through\n")
        #expect(result.stderr.hasPrefix("buildtime: warning: the run was not stored: "))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    /// Once the command is over, a signal ends record at once with the command's status, even while it waits for a
    /// database another writer holds.
    @Test func aSignalEndsTheWaitAfterTheCommand() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["record", "--", "true"]).status == 0)
        let holder = try Self.lock(runner)
        defer { Self.unlock(holder) }
        let (process, _) = try runner.start(["record", "--", "sh", "-c", "echo done; exit 7"], until: "done", environment: ["BUILDTIME_BUSY_TIMEOUT": "60"])
        // The command is over once its output is; give record the moment to reach the locked database.
        Thread.sleep(forTimeInterval: 1)
        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(signalled) < 30)
        #expect(process.terminationStatus == 7)
    }

    /// Databases record cannot use, each prepared as a user would meet it: the command runs, its output passes
    /// byte-exact, its status comes back, and buildtime says in one line that the run was not stored. (Locked, full,
    /// corrupt and unreachable databases, signals and background holders have tests of their own above and below.)
    @Test(arguments: ["another application's file", "a directory in its place", "a read-only file"])
    func aDatabaseRecordCannotUse(_ fault: String) throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let path = runner.directory.appending(path: "fault/db.sqlite").path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var unmount: String?
        defer { if let unmount { _ = try? Self.run(["/bin/umount", "-l", unmount]) } }
        switch fault {
        case "another application's file":
            try DatabaseQueue(path: path).write { try $0.execute(sql: "CREATE TABLE notes (body TEXT)") }
        case "a directory in its place":
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        default:
            #expect(try runner.run(["record", "--db", path, "--", "true"]).status == 0)
            if getuid() == 0 {
                // Root writes through file permissions: a read-only mount is what stops it.
                guard Self.canMount else { return }
                let folder = (path as NSString).deletingLastPathComponent
                try #require(try Self.run(["/bin/mount", "--bind", folder, folder]) == 0)
                unmount = folder
                try #require(try Self.run(["/bin/mount", "-o", "remount,bind,ro", folder, folder]) == 0)
            } else {
                try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
                try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: (path as NSString).deletingLastPathComponent)
            }
        }
        let before = try? Data(contentsOf: URL(fileURLWithPath: path))
        let result = try runner.run(["record", "--db", path, "--", "sh", "-c", "printf 'out\\r\\n\\tx'; echo err >&2; exit 9"])
        #expect(result.status == 9)
        #expect(result.stdout == "out\r\n\tx")
        #expect(result.stderr.hasPrefix("err\nbuildtime: warning: the run was not stored: "), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 2, "\(result.stderr)")
        if fault != "a directory in its place" { #expect((try? Data(contentsOf: URL(fileURLWithPath: path))) == before) }
        if getuid() != 0, fault == "a read-only file" {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: (path as NSString).deletingLastPathComponent)
        }
    }

    /// Whether this machine lets the tests mount a tmpfs (root with the right to mount; not in every container).
    static let canMount: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/mount") else { return false }
        let probe = FileManager.default.temporaryDirectory.appending(path: "buildtime-mount-probe-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: probe) }
        return (try? run(["/bin/mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.path])) == 0
            && (try? run(["/bin/umount", probe.path])) == 0
    }()

    static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A real full file system: a 256 kB tmpfs, filled up after the database is created.
    @Test(.enabled(if: canMount, "needs root to mount a small tmpfs"))
    func aFullFileSystem() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let mountPoint = runner.directory.appending(path: "full")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        try #require(try Self.run(["/bin/mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint.path]) == 0)
        defer { _ = try? Self.run(["/bin/umount", "-l", mountPoint.path]) }
        let database = mountPoint.appending(path: "db.sqlite").path
        #expect(try runner.run(["record", "--db", database, "--", "true"]).status == 0)
        _ = try? Data(count: 1 << 20).write(to: mountPoint.appending(path: "filler"))
        let log = mountPoint.appending(path: "run.log").path
        let result = try runner.run(["record", "--db", database, "--log", log, "--", "sh", "-c", "for i in $(seq 1 2000); do echo line $i; done; exit 3"])
        #expect(result.status == 3)
        #expect(result.stdout.hasSuffix("line 2000\n"))
        #expect(result.stderr.contains("buildtime: warning:"))
    }
}

@Suite struct ChangedFilesTests {
    @Test func filesChangedSinceThePreviousRecordedRunsCommit() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let repo = runner.directory.appending(path: "repo")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        func git(_ arguments: String...) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", repo.path, "-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "git \(arguments)")
        }
        try git("init", "-q")
        try Data("flask==3.1.0\n".utf8).write(to: repo.appending(path: "requirements.txt"))
        try git("add", ".")
        try git("commit", "-q", "-m", "first")
        // Long enough for git to answer: the context's helpers stop when the command does.
        let inRepo = ["sh", "-c", "cd \(repo.path) && sleep 2"]
        // The context's git runs in the working directory, so record from inside the repository.
        func record() throws -> BinaryRunner.Result {
            try runner.run(["record", "--"] + inRepo, workingDirectory: repo)
        }
        #expect(try record().status == 0)
        try Data("flask==3.1.1\n".utf8).write(to: repo.appending(path: "requirements.txt"))
        try Data("print()\n".utf8).write(to: repo.appending(path: "app.py"))
        try git("add", ".")
        try git("commit", "-q", "-m", "second")
        #expect(try record().status == 0)
        let show = try runner.run(["show", "latest", "--format", "json"])
        let run = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let context = try #require(run["context"] as? [String: Any])
        #expect(context["changedFiles"] as? [String] == ["app.py", "requirements.txt"])
        #expect(context["changedFilesSource"] as? String == "git")
        #expect((run["commit"] as? String)?.count == 40)
    }
}
