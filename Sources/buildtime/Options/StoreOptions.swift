import ArgumentParser
import BuildtimeCore
import BuildtimePostgres
import Foundation

/// Where the database is: a SQLite file, or a PostgreSQL database shared by a team (`postgresql://...`).
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The SQLite database file, or a PostgreSQL database shared by several agents (postgresql://user@host/db; password from the URL, PGPASSWORD or ~/.pgpass).",
        valueName: "path|url"))
    var db: String?

    var path: String { DatabaseLocation.resolve(explicit: db) }

    /// Opens the store, creating it unless `mode` says it must exist (the commands that only read). A SQLite writer
    /// waits `BUILDTIME_BUSY_TIMEOUT` seconds (default 10) for other writers; a PostgreSQL store waits at most
    /// `timeout` (default `BUILDTIME_PG_TIMEOUT`, else 10 s) for its connection and for each answer.
    func open(_ mode: SQLiteStore.OpenMode = .create, timeout: TimeInterval? = nil) throws -> any RunStore {
        let environment = ProcessInfo.processInfo.environment
        // A PostgreSQL location is never taken for a file name (it made a folder `postgresql:` and a SQLite file in it).
        if let location = try postgresLocation() {
            let timeout = timeout ?? environment["BUILDTIME_PG_TIMEOUT"].flatMap(TimeInterval.init) ?? 10
            return try PostgresStore(location: location, timeout: timeout, mustExist: mode == .existing)
        }
        let busy = environment["BUILDTIME_BUSY_TIMEOUT"].flatMap(TimeInterval.init) ?? SQLiteStore.busyTimeout
        return try SQLiteStore(path: path, busyTimeout: busy, mode: mode)
    }

    /// The PostgreSQL database `--db` or `BUILDTIME_DB` names, if it names one.
    func postgresLocation() throws -> PostgresLocation? {
        guard PostgresLocation.isURI(path) else { return nil }
        let environment = ProcessInfo.processInfo.environment
        do {
            return try PostgresLocation(uri: path, environment: environment, pgpass: PostgresLocation.readPGPass(environment: environment))
        } catch {
            throw ValidationError("--db / BUILDTIME_DB: \(error.reason)")
        }
    }
}

/// Which repository's runs a command reads, in a database that holds several.
struct RepoOption: ParsableArguments {
    @Option(name: .customLong("repo"), help: ArgumentHelp("Only the runs of this repository (as CI names it: CI_REPO, Woodpecker's full name).", valueName: "owner/name"))
    var repo: String?
}

/// Which markers and phases to look for.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A YAML configuration file (default: ./.buildtime.yml if present, else the built-in markers).", valueName: "file"))
    var config: String?

    func load() throws -> Configuration {
        if let config { return try Configuration.load(path: config) }
        if FileManager.default.fileExists(atPath: Configuration.defaultFileName) {
            return try Configuration.load(path: Configuration.defaultFileName)
        }
        return .default
    }
}

/// Output formats of the commands that list stored data.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case table
    case json
}

extension LogFormat: ExpressibleByArgument {}
