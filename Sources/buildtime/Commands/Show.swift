import ArgumentParser
import BuildtimeCore

extension Buildtime {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one stored run: its source, metadata and phases.")

        @Argument(help: ArgumentHelp("A run id, `#PIPELINE`, a commit prefix, `latest`, or a prefix of the run's fingerprint.", valueName: "run"))
        var reference: String = "latest"

        @Option(help: "Output format.")
        var format: OutputFormat = .table

        @Flag(help: "Also list every step of every image build.")
        var steps = false

        @OptionGroup var store: StoreOptions
        @OptionGroup var repository: RepoOption
        @OptionGroup var config: ConfigOptions

        func run() throws {
            let database = try store.open(.existing)
            let found = try Self.find(reference, in: database, repo: repository.repo)
            switch format {
            case .table:
                Terminal.out(RunRenderer.detail(found))
                // Its verdict and hints, as the report gives them.
                try Progress.backfillMetrics(of: database)
                if let assessment = try RegressionAnalyzer(configuration: try config.load()).assessment(of: found, in: database) {
                    Terminal.out("\n" + ReportRenderer.assessment(assessment, color: Terminal.stdoutUsesColor))
                }
                if steps {
                    for (position, image) in found.images.enumerated() {
                        Terminal.out("\n\(image.label(position: position)):\n" + ClassificationRenderer.steps(image))
                    }
                }
            case .json: Terminal.out(try RunRenderer.json(found))
            }
        }

        /// The run `reference` names, or a one-line failure that says how to name one.
        static func find(_ reference: String, in store: any RunStore, repo: String? = nil) throws -> BuildtimeCore.Run {
            do {
                return try store.run(named: reference, repo: repo)
            } catch RunReferenceError.empty {
                throw Failure("no runs stored yet")
            } catch RunReferenceError.ambiguous(_, let ids) {
                let shown = ids.prefix(8).map(String.init).joined(separator: ", ") + (ids.count > 8 ? ", ..." : "")
                throw Failure("'\(reference)' names \(ids.count) runs (\(shown)); give a run id")
            } catch RunReferenceError.none {
                throw Failure("no run '\(reference)' (give a run id from `buildtime runs`, `#PIPELINE`, a commit prefix, or `latest`)")
            }
        }
    }
}
