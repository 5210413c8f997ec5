import ArgumentParser
import BuildtimeCore
import Foundation

extension Buildtime {
    struct Classify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "classify",
            abstract: "Classify runs from their logs without storing anything.",
            discussion: """
                For each log: the run's class (cold, code-only, requirements, no-change, or unknown), how sure, and the \
                evidence — what each Docker build in the log did (cached and executed steps, the dependency-install \
                step, base image pulls), else the changed files, else the duration against the budgets.
                """
        )

        @Argument(help: ArgumentHelp("Log files; - reads standard input.", valueName: "file"))
        var files: [String]

        @Option(name: .customLong("log-format"), help: "Read every input as this format instead of detecting it.")
        var logFormat: LogFormat?

        @Option(help: ArgumentHelp("Files changed since the previous run, comma-separated (else CI_PIPELINE_FILES in the log).", valueName: "paths"))
        var changedFiles: String?

        @Option(help: "Output format.")
        var format: OutputFormat = .table

        @OptionGroup var config: ConfigOptions

        func run() throws {
            let ingester = Ingester(configuration: try config.load(), format: logFormat, changedFiles: changedFiles.map(Self.paths))
            var runs: [BuildtimeCore.Run] = []
            var failed = false
            for file in files {
                do {
                    let run = try ingester.run(fromPath: file)
                    runs.append(run)
                    if format == .table {
                        Terminal.out("\(file): " + ClassificationRenderer.summary(run.classification).joined(separator: "\n") + "\n")
                        Terminal.out(ClassificationRenderer.images(run.images) + "\n")
                    }
                } catch {
                    failed = true
                    Terminal.error("\(error)\n")
                }
            }
            if format == .json { Terminal.out(try RunRenderer.json(runs)) }
            if failed { throw ExitCode.failure }
        }

        static func paths(_ list: String) -> [String] {
            list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }
}
