import Foundation
import GRDB

/// Where runs are kept. SQLite today; another backend (PostgreSQL) is another conformance.
public protocol RunStore: Sendable {
    /// Stores `run` unless a run with the same fingerprint is already there.
    func save(_ run: Run) throws -> SaveOutcome
    /// Stores many runs at once, all or none, each unless already there.
    func save(_ runs: [Run]) throws -> [SaveOutcome]
    /// The newest runs first (by start time, else by the time they were stored), at most `limit`.
    func runs(limit: Int?) throws -> [Run]
    /// The run with this id.
    func run(id: Int64) throws -> Run?
    /// The newest `limit` runs stored before `cursor` in the order of `runs(limit:)`: one page of a long listing.
    func runs(limit: Int, before cursor: RunCursor?) throws -> [Run]
    /// The same page of one repository's runs (all repositories' without `repo`), read whole or only in `parts`.
    func runs(limit: Int, before cursor: RunCursor?, repo: String?, parts: RunParts) throws -> [Run]
    /// The newest `limit` runs (all without) as the verdicts read them, oldest first: who each is, its class, status
    /// and alerting metrics (total and phases), from the metric table. Runs stored by a version before it get their
    /// metric rows first (`backfillMetrics`).
    func points(limit: Int?) throws -> [RunPoint]
    /// The same of one repository's runs only (`limit` counts that repository's), or of all without `repo`.
    func points(limit: Int?, repo: String?) throws -> [RunPoint]
    /// Writes the metric rows of runs stored before the metric table, `batch` runs per transaction (a writer waits for
    /// one batch at most), calling `progress` with the runs done and the runs there were to do after each; returns
    /// how many it wrote. Interrupted, it goes on where it stopped the next time.
    @discardableResult
    func backfillMetrics(batch: Int, progress: (_ done: Int, _ of: Int) -> Void) throws -> Int
    /// The runs whose fingerprint starts with `prefix`.
    func runs(fingerprintPrefix prefix: String) throws -> [Run]
    /// The runs of CI pipeline `number` (of any repository), newest first.
    func runs(pipeline number: Int) throws -> [Run]
    /// The runs whose commit starts with `prefix` (lowercase hex), newest first.
    func runs(commitPrefix prefix: String) throws -> [Run]
    /// Stores a nested step of the run with `step.runKey`, which may not be stored yet.
    func save(_ step: RecordedStep) throws
    /// The steps recorded under `runKey`, in the order they started.
    func steps(runKey: String) throws -> [RecordedStep]
    /// The commit of the newest run that has one, on `branch` when given.
    func previousCommit(branch: String?) throws -> String?
    /// Notes that these runs were sent to `target` (an export's destination, e.g. `otlp http://collector:4318/v1/traces`).
    func markExported(runIDs: [Int64], target: String, at: Date) throws
    /// Which of these runs were sent to `target` before.
    func exported(runIDs: [Int64], target: String) throws -> Set<Int64>
    /// Removes these runs with everything stored of them (phases, image builds and their steps, recorded steps), all
    /// or none; the ids of those that were there.
    func delete(runIDs: [Int64]) throws -> [Int64]
}

extension RunStore {
    public func save(_ runs: [Run]) throws -> [SaveOutcome] { try runs.map { try save($0) } }

    /// The same page of one repository's runs (all repositories' without `repo`), whole.
    public func runs(limit: Int, before cursor: RunCursor?, repo: String?) throws -> [Run] {
        try runs(limit: limit, before: cursor, repo: repo, parts: .whole)
    }

    /// The newest runs first, at most `limit` (all without), handed over a page at a time so that a long listing
    /// never holds more than two pages: the next page is read while `body` takes this one (on a second core, reading
    /// and writing a listing each take about half its time).
    public func forEachPage(limit: Int?, pageSize: Int = 500, repo: String? = nil, parts: RunParts = .whole, _ body: ([Run]) throws -> Void) throws {
        var left = limit ?? .max
        /// The page after `page` (read `wanted` long): none after a short one.
        func after(_ page: [Run], wanted: Int) -> RunCursor? {
            guard page.count == wanted, let last = page.last, let id = last.id else { return nil }
            return RunCursor(time: (last.startedAt ?? last.recordedAt).timeIntervalSince1970, id: id)
        }
        var wanted = min(pageSize, left)
        var page = try runs(limit: wanted, before: nil, repo: repo, parts: parts)
        while !page.isEmpty {
            left -= page.count
            let next = left > 0 ? after(page, wanted: wanted) : nil
            let nextWanted = min(pageSize, left)
            let reading = next.map { cursor in PageRead { try runs(limit: nextWanted, before: cursor, repo: repo, parts: parts) } }
            do {
                try body(page)
            } catch {
                _ = try? reading?.result()
                throw error
            }
            guard let reading else { return }
            page = try reading.result()
            wanted = nextWanted
        }
    }
}

/// A page being read on another thread, and what it read.
private final class PageRead: @unchecked Sendable {
    // Written once by the reading thread before `done` is left; read only after waiting for it.
    private var outcome: Result<[Run], any Error> = .success([])
    private let done = DispatchGroup()

    init(_ read: @escaping @Sendable () throws -> [Run]) {
        done.enter()
        Thread.detachNewThread { [self] in
            outcome = Result(catching: read)
            done.leave()
        }
    }

    /// The page, once it is read.
    func result() throws -> [Run] {
        done.wait()
        return try outcome.get()
    }
}

/// How much of each run a listing reads.
public enum RunParts: Sendable {
    /// Everything stored of it: phases, image builds with their steps, recorded steps.
    case whole
    /// Its own row and its phases only (a table of runs shows no more): no image builds and no recorded steps, which
    /// are most of what is stored of a run.
    case phases
}

/// Where a page of runs ended: the last run's time (its start, else when it was stored) and id.
public struct RunCursor: Sendable, Equatable {
    public var time: Double
    public var id: Int64
    public init(time: Double, id: Int64) {
        self.time = time
        self.id = id
    }
}

/// What saving a run did.
public enum SaveOutcome: Sendable, Equatable {
    /// Stored as a new run with this id.
    case inserted(id: Int64)
    /// The same log was stored before, as the run with this id; nothing was added.
    case duplicate(id: Int64)

    public var id: Int64 {
        switch self {
        case .inserted(let id), .duplicate(let id): id
        }
    }
}

/// Why the store could not be used.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case newerSchema(path: String, unknownMigrations: [String])
    case missing(path: String)
    case notBuildtime(path: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open database \(path): \(reason)"
        case .newerSchema(let path, let unknown):
            "database \(path) was written by a newer buildtime (it has migrations this version does not know: "
                + unknown.sorted().joined(separator: ", ") + "); upgrade buildtime, or use another --db. The file was not changed."
        case .missing(let path):
            "no database at \(path) (record or ingest a run first, or give --db or BUILDTIME_DB)"
        case .notBuildtime(let path):
            "\(path) is not a buildtime database (another application's SQLite file); give another --db. The file was not changed."
        }
    }
}

extension StoreError {
    /// One line that says what went wrong with the store, for a warning or an error: SQLite's own message without the
    /// statement it was running.
    public static func reason(of error: any Error) -> String {
        let text: String
        if let error = error as? DatabaseError {
            text = "SQLite error \(error.resultCode.rawValue): " + (error.message ?? "\(error.resultCode)")
        } else {
            text = String(describing: error)
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
