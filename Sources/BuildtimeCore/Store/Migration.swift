/// One schema change, from a `Migrations/NNNN_name.sql` file compiled into the binary.
public struct Migration: Sendable, Equatable {
    /// The file name without `.sql`, e.g. `0001_runs_and_phases`; also its identifier in the database.
    public var name: String
    public var sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}

/// The schema changes this binary knows, in order (see the generated `Migrations+Generated.swift`).
public enum Migrations {
    /// Every migration, sorted by name.
    public static var all: [Migration] { embedded }
}
