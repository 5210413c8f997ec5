import Foundation
import GRDB
import GRDBSQLite

/// Steps through a statement's rows with SQLite's own API, for the reads that return a row per stored run (a report
/// over a year of runs reads hundreds of thousands): no `Row` per row, no value boxed on the way. Like `StoredRow`, a
/// column of another type than asked for reads as nil.
struct RawRows {
    private let statement: Statement

    init(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws {
        statement = try db.makeStatement(sql: sql)
        try statement.setArguments(arguments)
    }

    /// Calls `body` with each row; an error SQLite reports stops the reading.
    func forEach(_ body: (RawRow) throws -> Void) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errstr(code)))
            }
            try body(RawRow(handle: handle))
        }
    }
}

/// The current row of a `RawRows`.
struct RawRow: StoredCells {
    let handle: OpaquePointer

    func int64(_ index: Int) -> Int64? {
        let column = Int32(index)
        return sqlite3_column_type(handle, column) == SQLITE_INTEGER ? sqlite3_column_int64(handle, column) : nil
    }

    /// A REAL, or an INTEGER read as one.
    func double(_ index: Int) -> Double? {
        let column = Int32(index)
        return switch sqlite3_column_type(handle, column) {
        case SQLITE_FLOAT, SQLITE_INTEGER: sqlite3_column_double(handle, column)
        default: nil
        }
    }

    func string(_ index: Int) -> String? {
        let column = Int32(index)
        guard sqlite3_column_type(handle, column) == SQLITE_TEXT, let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// Whether the column's text is `bytes`, without making a string of it.
    func text(_ index: Int, equals bytes: [UInt8]) -> Bool {
        let column = Int32(index)
        guard sqlite3_column_type(handle, column) == SQLITE_TEXT, let text = sqlite3_column_text(handle, column) else { return false }
        let count = Int(sqlite3_column_bytes(handle, column))
        return count == bytes.count && memcmp(text, bytes, count) == 0
    }
}
