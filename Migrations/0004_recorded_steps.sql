-- Nested steps: `buildtime record --step NAME -- cmd` run inside a recorded command records a step of that run.
-- The outer run and its steps share a run key (BUILDTIME_RUN_ID), since the steps are stored before the run is.
ALTER TABLE run ADD COLUMN run_key TEXT;
CREATE INDEX run_by_key ON run(run_key);

CREATE TABLE step (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_key TEXT NOT NULL,
    name TEXT NOT NULL,
    started_at REAL NOT NULL,                 -- unix seconds
    duration REAL NOT NULL,                   -- seconds
    status TEXT NOT NULL,                     -- succeeded | failed | interrupted
    exit_code INTEGER,
    line_count INTEGER NOT NULL,
    images TEXT NOT NULL DEFAULT '[]'         -- JSON array of the step's image builds, read from its own output
);
CREATE INDEX step_by_run_key ON step(run_key, started_at);
