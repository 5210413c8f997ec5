-- One row per CI run, whether ingested from a log or recorded live.
-- Later facts (image builds, classification, context, findings) go in their own tables keyed by run.id.
CREATE TABLE run (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL UNIQUE,      -- hash of the log's bytes: the same log is stored once
    source TEXT NOT NULL,                  -- file path, "-" for stdin, or "record"
    format TEXT NOT NULL,                  -- log format it was read as
    pipeline_number INTEGER,
    commit_sha TEXT,
    branch TEXT,
    repo TEXT,
    step_name TEXT,
    started_at REAL,                       -- unix seconds; NULL when unknown
    status TEXT NOT NULL,                  -- succeeded | failed | interrupted | incomplete
    exit_code INTEGER,
    total_seconds REAL,                    -- first to last timestamped line; NULL without timestamps
    line_count INTEGER NOT NULL,
    time_resolution REAL,                  -- coarsest timestamp granularity in seconds; NULL without timestamps
    recorded_at REAL NOT NULL              -- when buildtime stored it, unix seconds
);
CREATE INDEX run_by_time ON run(coalesce(started_at, recorded_at));
CREATE INDEX run_by_pipeline ON run(repo, pipeline_number);

-- The phases of a run, as delimited by marker lines.
CREATE TABLE phase (
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,             -- order in the configuration
    name TEXT NOT NULL,
    start_offset REAL,                     -- seconds from the run's first line; NULL when unmeasured
    duration REAL,                         -- seconds; NULL when unmeasured, never 0 for "unknown"
    start_line INTEGER,                    -- line number of the start marker, when seen
    end_line INTEGER,                      -- line number of the end marker, when seen
    missing_marker TEXT,                   -- NULL | 'start' | 'end'
    PRIMARY KEY (run_id, position)
);
