import ArgumentParser
import BuildtimeCore
import Foundation

extension Buildtime {
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Read CI logs and store one run per log.",
            discussion: """
                Reads Woodpecker step-log JSON (API or file store), Drone/Woodpecker 0.x JSON, Woodpecker log_entries \
                SQL dumps, and plain text with or without timestamp prefixes (ISO-8601, [HH:MM:SS.mmm], moreutils ts, \
                woodpecker-cli exec), gzip-compressed or not. Directories are searched recursively for .log, .txt, \
                .json, .jsonl, .sql (and .gz) files. A log already stored is recognised by its content and skipped.
                Metadata comes from the flags, else from CI_* lines in the log, else from a Woodpecker download name \
                ({owner}-{repo}-{pipeline}-{step}.log).
                Prints one line per file on stdout; problems go to stderr as file:line: reason, and the exit status \
                is 1 if any file failed (the others are still stored). A file that is no CI log (JSON of another kind, \
                or text without timestamps, phase markers or Docker build output) is not stored and said so; it fails \
                the exit status only when named on the command line, not when found in a directory.
                """
        )

        @Argument(help: ArgumentHelp("Log files or directories; - reads standard input.", valueName: "path"))
        var paths: [String]

        @Option(help: "Read every input as this format instead of detecting it.")
        var format: LogFormat?

        @Option(help: "Pipeline number of the run.")
        var pipeline: Int?

        @Option(help: "Commit SHA of the run.")
        var commit: String?

        @Option(help: "Branch of the run.")
        var branch: String?

        @Option(help: "Repository of the run (owner/name).")
        var repo: String?

        @Option(help: ArgumentHelp("When the run started: ISO-8601 or unix seconds.", valueName: "time"))
        var startedAt: String?

        @OptionGroup var store: StoreOptions
        @OptionGroup var config: ConfigOptions

        func validate() throws {
            if let startedAt, DurationFormat.parseDate(startedAt) == nil {
                throw ValidationError("--started-at '\(startedAt)' is neither an ISO-8601 time nor unix seconds")
            }
            if paths.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        }

        /// `2 entry times out of range were ignored; 1 line longer than 1 MB was read to its first 1 MB`.
        static func note(_ ignored: IgnoredValues) -> String? {
            var parts: [String] = []
            if ignored.times > 0 {
                parts.append("\(ignored.times) entry time\(ignored.times == 1 ? " was" : "s were") out of range (no step runs that long) and ignored")
            }
            if ignored.cutLines > 0 {
                parts.append("\(ignored.cutLines) line\(ignored.cutLines == 1 ? " was" : "s were") longer than 1 MB and read to the first 1 MB")
            }
            return parts.isEmpty ? nil : parts.joined(separator: "; ")
        }

        func run() throws {
            let (files, missing) = BuildtimeCore.Ingester.expand(paths: paths)
            if files.count > 1, pipeline != nil || commit != nil || startedAt != nil {
                throw ValidationError("--pipeline, --commit and --started-at describe one run; give them with a single log (got \(files.count))")
            }
            let ingester = BuildtimeCore.Ingester(
                configuration: try config.load(), format: format,
                metadata: RunMetadata(pipelineNumber: pipeline, commit: commit, branch: branch, repo: repo),
                startedAt: startedAt.flatMap(DurationFormat.parseDate))
            let database = try store.open()
            // A team's store that answers takes what waited in this machine's spool first.
            if try store.postgresLocation() != nil { Spool.flush(into: database) }

            var failures = missing
            var stored = 0, duplicates = 0, notLogs = 0
            let named = Set(paths)
            let showProgress = Terminal.stderrIsTerminal && files.count > 20
            for (index, file) in files.enumerated() {
                if showProgress { Terminal.progress("[\(index + 1)/\(files.count)] " + Terminal.escaped(file)) }
                do {
                    let (run, outcome, ignored) = try ingester.ingest(path: file, into: database)
                    if showProgress { Terminal.progress("") }
                    if let note = Self.note(ignored) { Terminal.warn("\(file): \(note)") }
                    switch outcome {
                    case .inserted(let id):
                        stored += 1
                        Terminal.out("stored     run \(id)  \(Terminal.escaped(file))  \(Self.summary(run))\n")
                    case .duplicate(let id):
                        duplicates += 1
                        Terminal.out("unchanged  run \(id)  \(Terminal.escaped(file))  already stored, nothing added\n")
                    }
                } catch {
                    if showProgress { Terminal.progress("") }
                    if error.notALog, !named.contains(file) { notLogs += 1 } else { failures.append(error) }
                    Terminal.error(Terminal.describe(error) + "\n")
                }
            }
            for error in missing { Terminal.error("\(error)\n") }
            if files.count + missing.count > 1 {
                Terminal.error("\(stored) stored, \(duplicates) already present, " + (notLogs > 0 ? "\(notLogs) not logs, " : "") + "\(failures.count) failed\n")
            }
            if !failures.isEmpty { throw ExitCode.failure }
        }

        /// `(text, 412 lines) total 3m41s · build 3m24s · deploy 12.3s`
        static func summary(_ run: Run) -> String {
            var parts = ["(\(run.format.rawValue), \(run.lineCount) lines)"]
            parts.append("total \(DurationFormat.string(run.totalSeconds))")
            for phase in run.phases {
                let value = phase.missingMarker.map { "\($0.rawValue) marker missing" } ?? DurationFormat.string(phase.duration)
                parts.append("\(phase.name) \(value)")
            }
            return parts.joined(separator: "  ")
        }
    }
}
