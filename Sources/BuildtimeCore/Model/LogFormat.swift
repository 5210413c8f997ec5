/// The log formats buildtime reads. Gzip compression is detected separately and works with each.
public enum LogFormat: String, Sendable, Codable, CaseIterable {
    /// Woodpecker API step log (v1–v3): a JSON array of `{id, step_id, time, line, data, type}`, `data` in base64.
    case woodpeckerJSON = "woodpecker-json"
    /// Woodpecker file log store: one such entry per line.
    case woodpeckerJSONLines = "woodpecker-jsonl"
    /// Woodpecker 0.x / Drone 0.5: a JSON array of `{proc, time, pos, out}`.
    case droneJSON = "drone-json"
    /// Rows of Woodpecker's `log_entries` table as an SQL dump (`INSERT INTO log_entries VALUES (...)`).
    case woodpeckerSQL = "woodpecker-sql"
    /// Plain text, with or without per-line timestamp prefixes.
    case text
}
