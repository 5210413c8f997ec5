import ArgumentParser
import BuildtimeCore
import Foundation

@main
struct Buildtime: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buildtime",
        abstract: "CI build-and-deploy timing analytics: read CI logs, measure every phase, keep the history in SQLite or a team's PostgreSQL.",
        discussion: """
            The database is --db, else $BUILDTIME_DB, else $XDG_DATA_HOME/buildtime/buildtime.sqlite \
            (~/.local/share/buildtime/buildtime.sqlite); a postgresql:// URL there is a store shared by several agents. Phase markers come from .buildtime.yml in the working \
            directory, or --config FILE; the defaults fit a pipeline that prints "Building Docker images in \
            parallel...", "✅ All images built and tagged" and "✅ All containers deployed successfully".
            Exit status: 0; 1 when the work failed (one line on stderr says why); 64 for a usage error; record \
            returns its command's status.
            """,
        version: BuildtimeVersion.current,
        subcommands: [Ingest.self, Pull.self, Record.self, Classify.self, Runs.self, Show.self, Report.self, Export.self, Push.self, Delete.self, Doctor.self]
    )

    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, let message = unknownCommand(first) {
            Terminal.error("Error: \(message)\n  See 'buildtime --help' for the commands.\n")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as StoreError {
            // The store's failures are the work's, not the words': one line (escaped), status 1.
            exit(withError: Failure(error.description))
        } catch {
            exit(withError: error)
        }
    }

    /// What to say when `word` stands where a command goes and is none: the nearest command's name if it is a likely
    /// typo; nil for a command or an option.
    static func unknownCommand(_ word: String) -> String? {
        guard !word.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0.configuration.commandName ?? "" } + ["help"]
        guard !names.contains(word) else { return nil }
        let nearest = names.map { ($0, CommandSuggestion.distance(word, $0)) }.min { $0.1 < $1.1 }
        if let (name, distance) = nearest, distance <= max(1, name.count / 3) || name.hasPrefix(word) {
            return "unknown command '\(Terminal.escaped(word))'. Did you mean '\(name)'?"
        }
        return "unknown command '\(Terminal.escaped(word))'"
    }
}

/// How close two words are, for suggestions.
enum CommandSuggestion {
    /// The Damerau–Levenshtein distance (optimal string alignment): a swap of two letters counts as one edit.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased().prefix(64)), b = Array(b.lowercased().prefix(64))
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
