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
            let database = try store.open(.existing)
            switch format {
            case .table: Terminal.out(RunRenderer.table(try database.runs(limit: limit), color: Terminal.stdoutUsesColor))
            case .json:
                // Written as read, a page at a time: memory does not grow with --limit.
                var writer = RunRenderer.JSONArrayWriter(write: Terminal.out)
                try database.forEachPage(limit: limit) { try writer.add($0) }
                writer.finish()
            }
        }
    }
}
