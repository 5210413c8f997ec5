import ArgumentParser
import BuildtimeCore
import Foundation

/// Where the database is.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite database file.", valueName: "path"))
    var db: String?

    var path: String { DatabaseLocation.resolve(explicit: db) }

    /// Opens the store, creating it unless `mode` says it must exist (the commands that only read);
    /// `BUILDTIME_BUSY_TIMEOUT` (seconds) sets how long to wait for other writers (default 10).
    func open(_ mode: SQLiteStore.OpenMode = .create) throws -> SQLiteStore {
        // A PostgreSQL location is never taken for a file name (it made a folder `postgresql:` and a SQLite file in it).
        if PostgresLocation.isURI(path) {
            let environment = ProcessInfo.processInfo.environment
            let location: PostgresLocation
            do {
                location = try PostgresLocation(uri: path, environment: environment, pgpass: PostgresLocation.readPGPass(environment: environment))
            } catch {
                throw ValidationError("--db / BUILDTIME_DB: \(error.reason)")
            }
            throw Failure("this buildtime stores runs in SQLite only; a PostgreSQL store (\(location.redacted)) is not supported yet: give a file with --db or BUILDTIME_DB")
        }
        let timeout = ProcessInfo.processInfo.environment["BUILDTIME_BUSY_TIMEOUT"].flatMap(TimeInterval.init) ?? SQLiteStore.busyTimeout
        return try SQLiteStore(path: path, busyTimeout: timeout, mode: mode)
    }
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
