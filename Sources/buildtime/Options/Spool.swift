import BuildtimeCore
import BuildtimePostgres
import Foundation

/// Where a deploy's run waits when the team's PostgreSQL store does not answer: a SQLite file of this machine
/// (`DatabaseLocation.spool`), sent by the next `record`, `ingest` or `push` that reaches the store.
enum Spool {
    static var path: String { DatabaseLocation.spool() }

    /// Keeps `run` in the spool and says so in one line; false when even that failed (said too).
    @discardableResult
    static func keep(_ run: Run, for location: PostgresLocation, because error: any Error) -> Bool {
        do {
            let spool = try SQLiteStore(path: path)
            _ = try spool.save(run)
            Terminal.error("buildtime: \(location.redacted): \(reason(error)); the run is kept in \(path) "
                           + "and sent by the next record, ingest or `buildtime push`\n")
            return true
        } catch {
            Terminal.warn("the run was not stored: neither the PostgreSQL store nor the spool \(path) could take it: " + Terminal.describe(error))
            return false
        }
    }

    /// Keeps a nested step in the spool, with its run's key.
    static func keep(_ step: RecordedStep, for location: PostgresLocation, because error: any Error) {
        do {
            try SQLiteStore(path: path).save(step)
            Terminal.error("buildtime: \(location.redacted): \(reason(error)); the step is kept in \(path)\n")
        } catch {
            Terminal.warn("the step was not stored: " + Terminal.describe(error))
        }
    }

    /// Why the store could not take the run, without the location said before it.
    private static func reason(_ error: any Error) -> String {
        if case .cannotOpen(_, let reason)? = error as? StoreError { return reason }
        return Terminal.describe(error)
    }

    /// Sends the spooled runs to `store`, each page removed from the spool once the store committed it; nothing to
    /// do without a spool. Says what it sent; a failure leaves the rest for the next time and is one warning.
    static func flush(into store: any RunStore) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            let spool = try SQLiteStore(path: path, mode: .existing)
            let tally = try RunTransfer().copy(from: spool, to: store, removing: true)
            // Steps whose run is not in the spool (it reached the store, or is still running) go on their own.
            let steps = try spool.sendSteps(withoutRun: { steps in for step in steps { try store.save(step) } })
            guard tally.stored + tally.present + steps > 0 else { return }
            var sent: [String] = []
            if tally.stored + tally.present > 0 { sent.append("\(tally.stored) spooled run\(tally.stored == 1 ? "" : "s")") }
            if steps > 0 { sent.append("\(steps) nested step\(steps == 1 ? "" : "s")") }
            Terminal.error("buildtime: sent \(sent.joined(separator: " and ")) from \(path)" + (tally.present > 0 ? " (\(tally.present) runs already there)" : "") + "\n")
        } catch {
            Terminal.warn("the spooled runs in \(path) were not sent (next time): " + Terminal.describe(error))
        }
    }
}
