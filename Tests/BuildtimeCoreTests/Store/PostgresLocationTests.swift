import Foundation
import Testing
@testable import BuildtimeCore

/// libpq-style connection URIs, read as `psql` reads them (PostgreSQL's docs, "Connection URIs").
@Suite struct PostgresLocationTests {
    @Test func theUsualForms() throws {
        let full = try PostgresLocation(uri: "postgresql://ci:s%40cret@db.example.com:6543/buildtime?sslmode=require")
        #expect(full == PostgresLocation(host: "db.example.com", socketDirectory: nil, port: 6543, user: "ci", password: "s@cret", database: "buildtime", sslMode: .require))
        #expect(full.redacted == "postgresql://ci@db.example.com:6543/buildtime")
        // No host: the default socket; the database defaults to the user's name.
        let socket = try PostgresLocation(uri: "postgres://ci@", environment: [:])
        #expect(socket.host == nil && socket.socketDirectory == "/var/run/postgresql" && socket.port == 5432 && socket.database == "ci" && socket.sslMode == .prefer)
        // A socket directory as the host parameter, and parameters for the rest.
        let param = try PostgresLocation(uri: "postgresql:///runs?host=/tmp/pg%20sock&port=5433&user=agent&password=x")
        #expect(param.socketDirectory == "/tmp/pg sock" && param.host == nil && param.port == 5433 && param.user == "agent" && param.password == "x" && param.database == "runs")
        let ipv6 = try PostgresLocation(uri: "postgresql://u@[::1]:5432/db")
        #expect(ipv6.host == "::1" && ipv6.redacted == "postgresql://u@[::1]:5432/db")
        #expect(PostgresLocation.isURI("POSTGRES://x") && !PostgresLocation.isURI("/var/lib/buildtime.sqlite") && !PostgresLocation.isURI("postgres.sqlite"))
    }

    @Test func theEnvironmentAndPGPassFillTheGaps() throws {
        let environment = ["PGHOST": "pg.internal", "PGPORT": "5444", "PGUSER": "builder", "PGDATABASE": "history", "PGSSLMODE": "verify-full"]
        let filled = try PostgresLocation(uri: "postgresql://", environment: environment)
        #expect(filled == PostgresLocation(host: "pg.internal", socketDirectory: nil, port: 5444, user: "builder", password: nil, database: "history", sslMode: .verifyFull))
        // The URI wins over the environment; PGPASSWORD over .pgpass; .pgpass's first matching line, with escapes.
        #expect(try PostgresLocation(uri: "postgresql://other@h/db", environment: environment).user == "other")
        let pgpass = "# comment\npg.internal:5444:history:builder:first\\:part\n*:*:*:builder:fallback\n"
        #expect(try PostgresLocation(uri: "postgresql://", environment: environment, pgpass: pgpass).password == "first:part")
        #expect(try PostgresLocation(uri: "postgresql://h/other", environment: environment, pgpass: pgpass).password == "fallback")
        #expect(try PostgresLocation(uri: "postgresql://", environment: environment.merging(["PGPASSWORD": "env"]) { $1 }, pgpass: pgpass).password == "env")
        // A socket connection matches `localhost` lines.
        #expect(try PostgresLocation(uri: "postgresql://ci@/db", pgpass: "localhost:5432:db:ci:local").password == "local")
    }

    @Test func mistakesAreSaid() {
        func reason(_ uri: String) -> String? {
            do { _ = try PostgresLocation(uri: uri); return nil } catch { return error.reason }
        }
        #expect(reason("postgresql://h:99999/db") == "the port '99999' is not a number from 1 to 65535")
        #expect(reason("postgresql://h:abc/db") == "the port 'abc' is not a number from 1 to 65535")
        #expect(reason("postgresql://a,b/db") == "several hosts in one URI are not supported; give one")
        #expect(reason("postgresql://h/db?sslmode=maybe")?.hasPrefix("sslmode 'maybe' is none of disable, allow, prefer") == true)
        #expect(reason("postgresql://h/db?colour=blue")?.hasPrefix("the parameter 'colour' is not one buildtime knows") == true)
        #expect(reason("postgresql://[::1/db") == "an IPv6 host needs its closing ]")
        #expect(reason("sqlite:///x") == "not a postgresql:// URI")
    }
}
