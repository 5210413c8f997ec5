import ArgumentParser
import BuildtimeCore

extension Buildtime {
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Remove stored runs with everything stored of them.",
            discussion: """
                Each RUN is a run id, `latest`, or a prefix of a fingerprint, as `show` takes. Every RUN must name a \
                stored run, or nothing is removed. A run's phases, image builds, build steps and recorded steps go with \
                it. An ingested run that is deleted is stored again by the next `ingest` of its log.
                """)

        @Argument(help: ArgumentHelp("The runs to remove: ids, `#PIPELINE`, commit prefixes, `latest`.", valueName: "run"))
        var references: [String] = []

        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard !references.isEmpty else { throw ValidationError("name the runs to remove, e.g. buildtime delete 12 13") }
        }

        func run() throws {
            let database = try store.open(.existing)
            let runs = try references.map { try Show.find($0, in: database) }
            let deleted = try database.delete(runIDs: runs.compactMap(\.id))
            Terminal.error("deleted \(deleted.count) run\(deleted.count == 1 ? "" : "s"): " + deleted.map(String.init).joined(separator: ", ") + "\n")
        }
    }
}
