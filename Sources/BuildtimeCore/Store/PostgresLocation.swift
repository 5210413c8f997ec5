import Foundation

/// Where a PostgreSQL store is, from a libpq-style connection URI
/// (`postgresql://[user[:password]@][host][:port][/dbname][?param=value&...]`, or `postgres://`), as `psql` reads it:
/// percent-decoded parts; `host`, `port`, `user`, `password`, `dbname` and `sslmode` also as parameters (a `host`
/// that starts with `/` is a socket directory); no host at all means the default socket. What the URI leaves out comes
/// from `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`, `PGSSLMODE`, then `~/.pgpass` for the password.
public struct PostgresLocation: Sendable, Equatable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    /// A host name or address; nil when `socketDirectory` is used.
    public var host: String?
    /// The directory of the server's Unix socket (`.s.PGSQL.PORT` in it).
    public var socketDirectory: String?
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    public init(host: String?, socketDirectory: String?, port: Int, user: String, password: String?, database: String, sslMode: SSLMode) {
        self.host = host
        self.socketDirectory = socketDirectory
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    /// Debian's socket directory, where `psql` looks without a host.
    public static let defaultSocketDirectory = "/var/run/postgresql"

    /// `uri` with another database in its path, its user, host, port and parameters kept (a test's or a benchmark's
    /// database of its own on the same server).
    public static func uri(_ uri: String, database: String) -> String {
        let query = uri.firstIndex(of: "?").map { String(uri[$0...]) } ?? ""
        let base = uri.prefix { $0 != "?" }
        let authority = base.range(of: "://").map { base[$0.upperBound...] } ?? base[...]
        return "postgresql://\(authority.prefix { $0 != "/" })/\(database)\(query)"
    }

    /// Whether `location` names a PostgreSQL store rather than a file: it starts with `postgresql://` or `postgres://`.
    public static func isURI(_ location: String) -> Bool {
        let lower = location.lowercased()
        return lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://")
    }

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The location `uri` names, with the gaps filled from `environment` and the password from `pgpass` (the text
    /// of `~/.pgpass`, when it is readable by its owner only).
    public init(uri: String, environment: [String: String] = [:], pgpass: String? = nil) throws(Invalid) {
        guard Self.isURI(uri), let schemeEnd = uri.range(of: "://") else { throw Invalid(reason: "not a postgresql:// URI") }
        var rest = Substring(uri[schemeEnd.upperBound...])
        var parameters: [String: String] = [:]
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") where !pair.isEmpty {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, let key = Self.decoded(parts[0]), let value = Self.decoded(parts[1]) else {
                    throw Invalid(reason: "the parameter '\(pair)' is not key=value")
                }
                parameters[key] = value
            }
            rest = rest[..<question]
        }
        var path: Substring?
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        guard !rest.contains(",") else { throw Invalid(reason: "several hosts in one URI are not supported; give one") }
        // host[:port], the host an IPv6 address in brackets.
        var hostText: Substring = rest, portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw Invalid(reason: "an IPv6 host needs its closing ]") }
            hostText = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw Invalid(reason: "unexpected '\(after)' after the host") }
        } else if let colon = rest.lastIndex(of: ":") {
            hostText = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        var user: String?, password: String?
        if let userInfo {
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decoded(parts[0]) else { throw Invalid(reason: "the user name is not valid percent-encoding") }
            user = name.isEmpty ? nil : name
            if parts.count == 2 {
                guard let secret = Self.decoded(parts[1]) else { throw Invalid(reason: "the password is not valid percent-encoding") }
                password = secret
            }
        }
        guard let hostName = Self.decoded(hostText) else { throw Invalid(reason: "the host is not valid percent-encoding") }
        var host: String? = hostName.isEmpty ? nil : hostName
        var port = try portText.map { text throws(Invalid) -> String in
            guard let decoded = Self.decoded(text), !decoded.isEmpty else { throw Invalid(reason: "the port is empty") }
            return decoded
        }
        var database = try path.map { text throws(Invalid) -> String in
            guard let decoded = Self.decoded(text) else { throw Invalid(reason: "the database name is not valid percent-encoding") }
            return decoded
        }.flatMap { $0.isEmpty ? nil : $0 }
        var sslMode: String?
        for (key, value) in parameters {
            switch key {
            case "host": host = value.isEmpty ? nil : value
            case "port": port = value
            case "user": user = value.isEmpty ? nil : value
            case "password": password = value
            case "dbname": database = value.isEmpty ? nil : value
            case "sslmode": sslMode = value
            case "connect_timeout", "application_name", "options", "target_session_attrs", "gssencmode", "channel_binding": break
            default: throw Invalid(reason: "the parameter '\(key)' is not one buildtime knows (host, port, user, password, dbname, sslmode)")
            }
        }
        // What the URI leaves out, as libpq fills it.
        host = host ?? environment["PGHOST"].flatMap { $0.isEmpty ? nil : $0 }
        let portValue = port ?? environment["PGPORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "5432"
        guard let number = Int(portValue), (1...65535).contains(number) else { throw Invalid(reason: "the port '\(portValue)' is not a number from 1 to 65535") }
        self.port = number
        if let host, host.hasPrefix("/") {
            (self.host, socketDirectory) = (nil, host)
        } else {
            (self.host, socketDirectory) = (host, host == nil ? Self.defaultSocketDirectory : nil)
        }
        self.user = user ?? environment["PGUSER"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "postgres"
        self.database = database ?? environment["PGDATABASE"].flatMap { $0.isEmpty ? nil : $0 } ?? self.user
        let modeText = sslMode ?? environment["PGSSLMODE"].flatMap { $0.isEmpty ? nil : $0 } ?? "prefer"
        guard let mode = SSLMode(rawValue: modeText) else {
            throw Invalid(reason: "sslmode '\(modeText)' is none of " + SSLMode.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.sslMode = mode
        self.password = password ?? environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
            ?? pgpass.flatMap { Self.password(in: $0, host: self.host ?? "localhost", port: number, database: self.database, user: self.user) }
    }

    /// The first line of a `.pgpass` text (`hostname:port:database:username:password`, `*` matching anything, `\:`
    /// and `\\` escaped) that matches; a socket connection matches `localhost`, as libpq does.
    public static func password(in pgpass: String, host: String, port: Int, database: String, user: String) -> String? {
        for line in pgpass.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = [], field = "", escaped = false
            for character in line {
                if escaped { field.append(character); escaped = false } else if character == "\\" { escaped = true } else if character == ":" && fields.count < 4 {
                    fields.append(field)
                    field = ""
                } else { field.append(character) }
            }
            fields.append(field)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields, wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// The URI again without its password, for messages and logs.
    public var redacted: String {
        let place = host.map { $0.contains(":") ? "[\($0)]" : $0 } ?? ""
        let socket = socketDirectory.map { "?host=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0)" } ?? ""
        return "postgresql://\(user)@\(place):\(port)/\(database)\(socket)"
    }

    /// The text of `$PGPASSFILE`, else `~/.pgpass`, when only its owner can read it (libpq ignores it otherwise).
    public static func readPGPass(environment: [String: String]) -> String? {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let path = environment["PGPASSFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? (home as NSString).appendingPathComponent(".pgpass")
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue, permissions & 0o077 == 0 else { return nil }
        return try? String(contentsOfFile: path, encoding: .utf8)
    }

    private static func decoded(_ text: Substring) -> String? {
        String(text).removingPercentEncoding
    }
}
