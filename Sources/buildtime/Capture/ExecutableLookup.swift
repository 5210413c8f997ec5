import Foundation
import Subprocess
import SystemPackage

/// Finds a program the way a shell does — a name with a `/` as it is, else the first executable file of that name in
/// `PATH` — with `access(2)` rather than by trying to start it from every `PATH` entry in turn, which costs a process
/// start per entry.
enum ExecutableLookup {
    static func executable(_ program: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Executable {
        if program.contains("/") { return .path(FilePath(program)) }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
            var status = stat()
            if access(candidate, X_OK) == 0, stat(candidate, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG {
                return .path(FilePath(candidate))
            }
        }
        // Not found: let Subprocess report it as it would.
        return .name(program)
    }
}
