import BuildtimeCore
import BuildtimePostgres
import Foundation

/// Writing to the terminal: stdout for results, stderr for progress and problems.
enum Terminal {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func out(bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    /// Writes to stderr, control characters from logs and file names shown escaped.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data(escaped(text, keepingNewlines: true).utf8))
    }

    /// Redraws the progress line on stderr (a terminal): `text` replaces what it showed; "" clears it.
    static func progress(_ text: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + escaped(text)).utf8))
    }

    /// One line that says what `error` is, without SQL or line breaks.
    static func describe(_ error: any Error) -> String {
        PostgresStore.isItsError(error) ? PostgresStore.reason(of: error) : StoreError.reason(of: error)
    }

    static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        SafeText.escaped(text, keepingNewlines: keepingNewlines)
    }

    /// A problem of buildtime's own that does not stop the work.
    static func warn(_ text: String) {
        error("buildtime: warning: \(text)\n")
    }

    /// Colour on a terminal, unless `NO_COLOR` is set (https://no-color.org).
    static var stdoutUsesColor: Bool {
        isatty(1) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// Whether standard error is an interactive terminal, where progress can be redrawn in place.
    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}
