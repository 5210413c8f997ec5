import BuildtimeCore
import Foundation

/// Long work a command does before its own, with what it shows meanwhile.
enum Progress {
    /// Writes the metric rows of runs a version before the metric table stored (once per database). On a terminal
    /// the count is redrawn in place; elsewhere one line says what happens and one what was done.
    static func backfillMetrics(of store: any RunStore) throws {
        var announced = false
        let started = Date()
        let done = try store.backfillMetrics(batch: 500) { done, total in
            if Terminal.stderrIsTerminal {
                Terminal.progress("writing the metrics of \(total) runs stored by an older buildtime (once): \(done)/\(total)")
            } else if !announced {
                Terminal.error("buildtime: writing the metrics of \(total) runs stored by an older buildtime (once)...\n")
            }
            announced = true
        }
        guard done > 0 else { return }
        if Terminal.stderrIsTerminal { Terminal.progress("") }
        Terminal.error(String(format: "buildtime: wrote the metrics of %d runs in %.1f s\n", done, Date().timeIntervalSince(started)))
    }
}
