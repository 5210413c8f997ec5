import Foundation

/// Where the database lives: `--db`, else `$BUILDTIME_DB`, else `$XDG_DATA_HOME/buildtime/buildtime.sqlite`
/// (`~/.local/share/buildtime/buildtime.sqlite` when XDG_DATA_HOME is unset).
public enum DatabaseLocation {
    public static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let path = environment["BUILDTIME_DB"], !path.isEmpty { return path }
        return (home("XDG_DATA_HOME", else: ".local/share", environment) as NSString).appendingPathComponent("buildtime/buildtime.sqlite")
    }

    /// Where runs wait that could not reach a PostgreSQL store: `$BUILDTIME_SPOOL`, else
    /// `$XDG_STATE_HOME/buildtime/spool.sqlite` (`~/.local/state/buildtime/spool.sqlite` when XDG_STATE_HOME is unset).
    public static func spool(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["BUILDTIME_SPOOL"], !path.isEmpty { return path }
        return (home("XDG_STATE_HOME", else: ".local/state", environment) as NSString).appendingPathComponent("buildtime/spool.sqlite")
    }

    /// An XDG base directory: the variable when it is an absolute path, else `fallback` under the home directory.
    private static func home(_ variable: String, else fallback: String, _ environment: [String: String]) -> String {
        if let xdg = environment[variable], xdg.hasPrefix("/") { return xdg }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(fallback)
    }
}
