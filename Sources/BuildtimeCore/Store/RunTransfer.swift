/// Copies stored runs from one store into another: a SQLite history into a team's PostgreSQL database (`push
/// --from`), or the spool's runs once the database answers again. A page of runs at a time, each page in one
/// transaction; a run the destination has (the same fingerprint) is not stored again, so a copy can be repeated or
/// resumed after an interruption. With `removing`, each page leaves the source once the destination committed it:
/// nothing is lost, and nothing is sent twice.
public struct RunTransfer {
    /// How many runs were stored, and how many the destination had already.
    public struct Tally: Sendable, Equatable {
        public var stored = 0, present = 0
        public init(stored: Int = 0, present: Int = 0) {
            self.stored = stored
            self.present = present
        }
    }

    public var pageSize = 200

    public init(pageSize: Int = 200) { self.pageSize = max(1, pageSize) }

    /// Copies every run of `source` (with its recorded steps) into `destination`, calling `progress` with the runs
    /// done and the runs there were after each page.
    public func copy(from source: any RunStore, to destination: any RunStore, removing: Bool,
                     progress: (_ done: Int, _ of: Int) -> Void = { _, _ in }) throws -> Tally {
        let total = try source.points(limit: nil).count
        var tally = Tally()
        var cursor: RunCursor?
        while true {
            let page = try source.runs(limit: pageSize, before: removing ? nil : cursor)
            guard let last = page.last else { break }
            let outcomes = try destination.save(page.map { run in
                var copy = run
                copy.id = nil
                return copy
            })
            for (run, outcome) in zip(page, outcomes) {
                guard case .inserted = outcome else {
                    tally.present += 1
                    continue
                }
                tally.stored += 1
                // A run's nested steps go with it (the first time only: steps have no key of their own).
                for step in run.steps { try destination.save(step) }
            }
            if removing, try source.delete(runIDs: page.compactMap(\.id)).isEmpty { break }
            progress(min(tally.stored + tally.present, total), total)
            guard page.count == pageSize, let id = last.id else { break }
            cursor = RunCursor(time: (last.startedAt ?? last.recordedAt).timeIntervalSince1970, id: id)
        }
        return tally
    }
}
