import Foundation

/// Where the database lives: `--db`, else `$BUILDTIME_DB`, else `$XDG_DATA_HOME/buildtime/buildtime.sqlite`
/// (`~/.local/share/buildtime/buildtime.sqlite` when XDG_DATA_HOME is unset).
public enum DatabaseLocation {
    public static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let path = environment["BUILDTIME_DB"], !path.isEmpty { return path }
        let dataHome: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            dataHome = xdg
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            dataHome = (home as NSString).appendingPathComponent(".local/share")
        }
        return (dataHome as NSString).appendingPathComponent("buildtime/buildtime.sqlite")
    }
}
