import ArgumentParser
import BuildtimeCore
import BuildtimeOTLP
import Foundation
import Subprocess
import SystemPackage

extension Buildtime {
    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "record",
            abstract: "Run a command, pass its output through untouched, and record its run.",
            discussion: """
                Runs COMMAND (no shell) with its standard output and error passed straight through, stamps every \
                line with buildtime's own clock, finds the phase markers and the Docker builds in it, and stores the \
                run. Exits with the command's exit status (128+N when it was killed by signal N); SIGINT, SIGTERM and \
                SIGHUP are forwarded to it. If buildtime itself fails (no database, no disk), it warns on stderr and \
                still returns the command's status. The command sees BUILDTIME_RUN_ID and BUILDTIME_DB.
                While the command runs, buildtime notes the machine's context: load average and cores at start and \
                end, free disk on the Docker root (df -P), docker system df, git HEAD, and the changed files \
                (CI_PIPELINE_FILES, else git diff from CI_PREV_COMMIT_SHA or from the previous recorded run's commit). Each \
                helper starts 0.1 s into the command, gets 5 seconds (BUILDTIME_CONTEXT_TIMEOUT) and is skipped if \
                missing, failing or slow; none outlives the command: what they have not told when it ends is left out, \
                so a short command is never held up.
                The output never waits for the analysis: what it has not reached waits in memory (16 MB, \
                BUILDTIME_RECORD_MEMORY in MB), then in an unlinked file in TMPDIR.
                """
        )

        @Option(help: ArgumentHelp("Also write the stamped log here; `buildtime ingest` reads it back to the same run.", valueName: "file"))
        var log: String?

        @Option(help: ArgumentHelp("A name for the run's step (default: CI_STEP_NAME).", valueName: "name"))
        var name: String?

        @Option(help: ArgumentHelp("Record a step of the run that BUILDTIME_RUN_ID names (inside a recorded command): its interval, status and own build output.", valueName: "name"))
        var step: String?

        @Flag(help: "Say nothing after the command: by default one line on stderr names the stored run, its class and its phase times.")
        var quiet = false

        @Option(name: .customLong("otlp"), help: ArgumentHelp("Send the run as an OpenTelemetry trace to this collector once stored (default: OTEL_EXPORTER_OTLP_ENDPOINT); at most 2 s are added, and a failure is one warning.", valueName: "url"))
        var otlpEndpoint: String?

        @OptionGroup var store: StoreOptions
        @OptionGroup var config: ConfigOptions

        @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
        var command: [String] = []

        func validate() throws {
            guard !command.isEmpty else { throw ValidationError("give the command to run after --, e.g. buildtime record -- ./deploy.sh") }
        }

        func run() async throws {
            // A collector set up wrongly is said at once, before the command runs; the run is then not sent.
            let otlp: OTLPConfiguration?
            do {
                otlp = try OTLPConfiguration(environment: ProcessInfo.processInfo.environment, endpoint: otlpEndpoint)
            } catch {
                Terminal.warn("\(error); the run will not be sent as a trace")
                otlp = nil
            }
            let forwarding = SignalForwarding()
            defer { forwarding.stop() }
            // A reader of our output that goes away must not kill buildtime: the command meets the closed pipe instead.
            signal(SIGPIPE, SIG_IGN)
            let environment = ProcessInfo.processInfo.environment
            let (recording, configurationError) = makeRecording()
            // A nested step belongs to the run that started it; a run gets a key its steps will share.
            let parentKey = environment["BUILDTIME_RUN_ID"].flatMap { $0.isEmpty ? nil : $0 }
            if step != nil, parentKey == nil { Terminal.warn("--step outside a recorded run (no BUILDTIME_RUN_ID): recording a run of its own") }
            let stepName = parentKey == nil ? nil : step
            let runKey = stepName == nil ? UUID().uuidString : parentKey!

            // The database is opened while the command runs: its cost is not added at the end.
            // A team's PostgreSQL store gets at most 2 s to answer (the run then waits in the spool).
            let database = recording == nil ? nil : Task { [store] in Result { try store.open(timeout: Self.storeTimeout) } }

            // The context is gathered while the command runs, never before it, and only while it runs: what the
            // helpers have not told by the time the command ends is left out, so a short command is not held up.
            var capture = ContextCapture(environment: environment)
            if let seconds = environment["BUILDTIME_CONTEXT_TIMEOUT"].flatMap(Double.init), seconds > 0 { capture.timeLimit = .milliseconds(Int(seconds * 1000)) }
            let startSnapshot = MachineSnapshot.now()
            var metadata = RunMetadata(environment: environment)
            if let name = step ?? name { metadata.step = name }
            let branch = metadata.branch
            let contextTask = stepName != nil ? nil : Task { [capture] in
                // 0.1 s in: the command's own start does not compete with the helpers, and a command over by then
                // starts none.
                try? await Task.sleep(for: .milliseconds(100))
                var context = await capture.atStart(startSnapshot)
                // Without CI's list of changed files: git's, since the commit of the previous run recorded here.
                if context.changedFiles == nil, let head = context.gitHead, case .success(let store)? = await database?.value,
                   let previous = try? store.previousCommit(branch: branch) {
                    await capture.addChanges(to: &context, since: previous, head: head)
                }
                return context
            }

            let megabytes = environment["BUILDTIME_RECORD_MEMORY"].flatMap(Int.init)
            let sink = RecordingSink(recording, memoryLimit: megabytes.map { max($0, 1) << 20 } ?? RecordingSink.defaultMemoryLimit)
            let exit = try await execute(runKey: runKey, sink: sink, forwarding: forwarding)
            // The command is over: a signal now ends buildtime at once with the command's status, whatever it waits
            // for (a locked database, the analysis); the run is then not stored.
            forwarding.forward { _ in _exit(exit.status) }
            // The command's output is all through: let whoever reads it finish now, while the analysis catches up.
            releaseStandardOutput()
            sink.drain()
            if let recording, let database = await database?.value {
                if let stepName {
                    store(step: stepName, of: recording.finish(exit: exit), runKey: runKey, warnings: recording.warnings, in: database)
                } else {
                    contextTask?.cancel()
                    var context = await contextTask?.value ?? RunContext()
                    context.end = capture.atEnd(path: context.start?.diskPath)
                    let stored = store(recording, exit: exit, metadata: metadata, context: context, runKey: runKey, configurationError: configurationError,
                                       in: database)
                    if let stored, let otlp, await OTLPSender.sendLive(stored, with: otlp), let id = stored.id {
                        try? database.get().markExported(runIDs: [id], target: "otlp " + otlp.url.absoluteString, at: Date())
                    }
                }
            }
            throw ExitCode(exit.status)
        }

        /// The recording, and why the configuration could not be used. A broken configuration does not stop the
        /// command; the run is then stored without phases (the built-in markers are not the team's) and says why.
        private func makeRecording() -> (Recording?, configurationError: String?) {
            var configuration: BuildtimeCore.Configuration
            var configurationError: String?
            do { configuration = try config.load() } catch {
                configurationError = String(describing: error)
                Terminal.warn("\(error); running the command, the run is stored without phases")
                configuration = .default
                configuration.phases = []
            }
            guard let recording = try? Recording(configuration: configuration, command: command, logPath: log) else {
                Terminal.warn("cannot record this run; running the command anyway")
                return (nil, configurationError)
            }
            return (recording, configurationError)
        }

        /// Runs the command in its own process group, passing its output on; its exit, or exit 127 if it cannot start.
        private func execute(runKey: String, sink: RecordingSink, forwarding: SignalForwarding) async throws -> CommandExit {
            let program = command[0]
            let executable = ExecutableLookup.executable(program)
            var options = PlatformOptions()
            // Its own process group: a terminal's Ctrl-C reaches buildtime, which forwards it once.
            options.processGroupID = 0
            // The command writes into pipes that threads of buildtime's own drain with plain reads: as fast as `cat`.
            let output: OutputPipe, error: OutputPipe
            do {
                output = try OutputPipe()
                error = try OutputPipe()
            } catch {
                Terminal.error("buildtime: cannot run \(program): \(error)\n")
                throw ExitCode(127)
            }
            let drained = DispatchGroup()
            output.drain(into: drained, passingTo: 1, sink: sink, stream: .output)
            error.drain(into: drained, passingTo: 2, sink: sink, stream: .error)
            do {
                let result = try await Subprocess.run(
                    executable, arguments: Arguments(Array(command.dropFirst())),
                    environment: .inherit.updating(["BUILDTIME_RUN_ID": runKey, "BUILDTIME_DB": store.path]),
                    platformOptions: options, input: .currentStandardInput,
                    output: .fileDescriptor(FileDescriptor(rawValue: output.writeEnd), closeAfterSpawningProcess: true),
                    error: .fileDescriptor(FileDescriptor(rawValue: error.writeEnd), closeAfterSpawningProcess: true)
                ) { execution in
                    // To the whole group, as a terminal would: `sh -c 'sleep 60'` stops at once, not after the sleep.
                    forwarding.forward { signal in try? execution.send(signal: Signal(rawValue: signal), toProcessGroup: true) }
                }
                awaitOutput(drained, pipes: [output, error], sink: sink, forwarding: forwarding)
                switch result.terminationStatus {
                case .exited(let code): return .exited(code)
                case .signaled(let signal): return .signaled(signal)
                }
            } catch {
                Terminal.error("buildtime: cannot run \(program): \(error)\n")
                throw ExitCode(127)
            }
        }

        /// How long the output may stay open after the command has exited: a background process it started that keeps
        /// the pipe open (`(sleep 60) &`) must not hold the deploy.
        static let outputGrace = DispatchTimeInterval.milliseconds(500)

        /// Waits until everything that holds the command's output has closed it. What the command wrote before it
        /// exited (in the pipes then) is all passed on, however long the analysis holds the reading up; what arrives
        /// after, for at most `outputGrace`; no longer once a signal comes. What comes later is not read.
        private func awaitOutput(_ drained: DispatchGroup, pipes: [OutputPipe], sink: RecordingSink, forwarding: SignalForwarding) {
            let signals = forwarding.received
            let owed = pipes.map { pipe in pipe.progress().map { $0.taken + $0.waiting } }
            func ownOutputTaken() -> Bool {
                zip(pipes, owed).allSatisfy { pipe, owed in
                    guard let owed, let now = pipe.progress() else { return true }
                    return now.taken >= owed
                }
            }
            while !ownOutputTaken() {
                if drained.wait(timeout: .now() + .milliseconds(20)) == .success { return }
                if forwarding.received != signals { sink.stopTaking(); return }
            }
            let deadline = DispatchTime.now() + Self.outputGrace
            while drained.wait(timeout: min(deadline, .now() + .milliseconds(20))) == .timedOut {
                if DispatchTime.now() >= deadline || forwarding.received != signals {
                    sink.stopTaking()
                    return
                }
            }
        }

        /// How long `record` waits for a PostgreSQL store: to connect, and for each answer (`BUILDTIME_PG_TIMEOUT`, at
        /// most 2 s by default). SQLite's writers wait for each other as always.
        static var storeTimeout: TimeInterval {
            ProcessInfo.processInfo.environment["BUILDTIME_PG_TIMEOUT"].flatMap(TimeInterval.init) ?? 2
        }

        private func store(step name: String, of run: BuildtimeCore.Run, runKey: String, warnings: [String], in database: Result<any RunStore, any Error>) {
            for warning in warnings { Terminal.warn(warning) }
            let step = RecordedStep(runKey: runKey, name: name, recorded: run)
            do { try database.get().save(step) } catch {
                if let location = try? store.postgresLocation() { return Spool.keep(step, for: location, because: error) }
                Terminal.warn("the step was not stored: " + Terminal.describe(error))
            }
        }

        /// Stores the run; returns it with its id, or nil when it could not be stored.
        @discardableResult
        private func store(_ recording: Recording, exit: CommandExit, metadata: RunMetadata, context: RunContext, runKey: String,
                           configurationError: String?, in database: Result<any RunStore, any Error>) -> BuildtimeCore.Run? {
            var metadata = metadata
            metadata.commit = metadata.commit ?? context.gitHead
            var run = recording.finish(exit: exit, metadata: metadata, context: context, runKey: runKey,
                                       steps: (try? database.get().steps(runKey: runKey)) ?? [])
            run.configurationError = configurationError
            for warning in recording.warnings { Terminal.warn(warning) }
            do {
                let outcome = try database.get().save(run)
                if !quiet { Terminal.error("buildtime: " + RunRenderer.stored(run, outcome: outcome) + "\n") }
                if case .duplicate = outcome, let step = run.metadata.step, run.metadata.teamKey != nil {
                    // A run is one per step of a pipeline: a second record in the same step needs a name of its own.
                    Terminal.warn("this step (\(step)) of pipeline \(run.metadata.pipelineNumber ?? 0) has a run already; give another record --name NAME to keep both")
                }
                run.id = outcome.id
                // The store answers again: what waited in the spool goes now.
                if (try? store.postgresLocation()) != nil, let database = try? database.get() { Spool.flush(into: database) }
                return run
            } catch {
                if let location = try? store.postgresLocation() {
                    Spool.keep(run, for: location, because: error)
                } else {
                    Terminal.warn("the run was not stored: " + Terminal.describe(error))
                }
                return nil
            }
        }
    }
}

/// Points standard output at /dev/null, which closes the pipe to the next program in a pipeline.
private func releaseStandardOutput() {
    let null = open("/dev/null", O_WRONLY)
    guard null >= 0 else { return }
    dup2(null, 1)
    close(null)
}
