-- One row per run and metric: the series that reports, baselines and change points read, instead of whole runs with
-- their steps. Written in the run's own transaction; runs stored before this migration are backfilled by the binary
-- (run.metrics_written says which are done), in batches, so an interrupted backfill goes on where it stopped.
CREATE TABLE metric (
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    name TEXT NOT NULL,        -- total | phase:NAME | image:NAME | steps:KIND | dependency-install | base-pull | other-steps
    value REAL NOT NULL,       -- seconds
    class TEXT,                -- the run's class, status, repository and time, as in run
    status TEXT NOT NULL,
    repo TEXT,
    at REAL NOT NULL,          -- coalesce(started_at, recorded_at)
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE INDEX metric_by_series ON metric(class, name, at);

ALTER TABLE run ADD COLUMN metrics_written INTEGER NOT NULL DEFAULT 0;   -- 1 once the run's metric rows are there
CREATE INDEX run_metrics_pending ON run(id) WHERE metrics_written = 0;
