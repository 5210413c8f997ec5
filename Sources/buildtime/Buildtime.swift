import ArgumentParser

@main
struct Buildtime: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buildtime",
        abstract: "CI build-and-deploy timing analytics: read CI logs, measure every phase, keep the history in SQLite.",
        discussion: """
            The database is --db, else $BUILDTIME_DB, else $XDG_DATA_HOME/buildtime/buildtime.sqlite \
            (~/.local/share/buildtime/buildtime.sqlite). Phase markers come from .buildtime.yml in the working \
            directory, or --config FILE; the defaults fit a pipeline that prints "Building Docker images in \
            parallel...", "✅ All images built and tagged" and "✅ All containers deployed successfully".
            """,
        subcommands: [Ingest.self, Record.self, Classify.self, Runs.self, Show.self, Report.self, Doctor.self]
    )
}
