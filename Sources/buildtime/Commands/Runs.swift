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
        @OptionGroup var repository: RepoOption

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let database = try store.open(.existing)
            // A page at a time (of one repository's runs, when asked).
            func eachPage(parts: RunParts, _ body: ([BuildtimeCore.Run]) throws -> Void) throws {
                try database.forEachPage(limit: limit, repo: repository.repo, parts: parts, body)
            }
            switch format {
            case .table:
                // The rows' cells gathered a page at a time, not the runs; a row shows no image build.
                var table = RunRenderer.Table()
                try eachPage(parts: .phases) { table.add($0) }
                Terminal.out(table.render(color: Terminal.stdoutUsesColor))
            case .json:
                // Written as read, a page at a time: memory does not grow with --limit.
                var writer = RunRenderer.JSONArrayWriter(write: Terminal.out(bytes:))
                try eachPage(parts: .whole) { try writer.add($0) }
                writer.finish()
            }
        }
    }
}
