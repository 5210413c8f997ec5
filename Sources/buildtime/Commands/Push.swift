import ArgumentParser
import BuildtimeCore
import Foundation

extension Buildtime {
    struct Push: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Copy stored runs into a team's PostgreSQL store: the spool of runs that could not reach it, or an agent's SQLite history.",
            discussion: """
                Without --from, sends the runs that `record` kept in the spool ($BUILDTIME_SPOOL, else \
                $XDG_STATE_HOME/buildtime/spool.sqlite) while the store did not answer, and removes each from the \
                spool once the store has committed it. With --from FILE.sqlite, copies that history and leaves it as \
                it is. A run the store already has (the same log) is not stored twice, so a push can be repeated or \
                resumed. Progress on a terminal; one summary line on stderr.
                """)

        @Option(help: ArgumentHelp("A SQLite history to copy (default: the spool).", valueName: "file.sqlite"))
        var from: String?

        @OptionGroup var store: StoreOptions

        func run() throws {
            guard let location = try store.postgresLocation() else {
                throw ValidationError("push copies into a PostgreSQL store: give --db postgresql://... or BUILDTIME_DB")
            }
            let path = from ?? Spool.path
            guard FileManager.default.fileExists(atPath: path) else {
                if from == nil {
                    Terminal.error("buildtime: nothing spooled (\(path) does not exist)\n")
                    return
                }
                throw Failure("no database at \(path)")
            }
            let source = try SQLiteStore(path: path, mode: .existing)
            let destination = try store.open()
            let started = Date()
            let tally = try RunTransfer().copy(from: source, to: destination, removing: from == nil) { done, total in
                if Terminal.stderrIsTerminal { Terminal.progress("pushing to \(location.redacted): \(done)/\(total) runs") }
            }
            if Terminal.stderrIsTerminal { Terminal.progress("") }
            let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
            Terminal.error("buildtime: \(tally.stored) run\(tally.stored == 1 ? "" : "s") stored in \(location.redacted), \(tally.present) already there (\(seconds) s)\n")
        }
    }
}
