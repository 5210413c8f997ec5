import ArgumentParser
import BuildtimeCore

extension Buildtime {
    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "runs", abstract: "List stored runs, newest first.")

        @Option(help: "How many runs to list.")
        var limit = 20

        @Option(help: "Output format.")
        var format: OutputFormat = .table

        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let runs = try store.open(.existing).runs(limit: limit)
            switch format {
            case .table: Terminal.out(RunRenderer.table(runs))
            case .json: Terminal.out(try RunRenderer.json(runs))
            }
        }
    }
}
