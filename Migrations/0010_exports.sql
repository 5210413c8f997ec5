-- Which runs were sent where (`export otlp`, `record`'s live export): a later export sends only the others, and
-- `--all` sends them again. Goes with its run.
CREATE TABLE export (
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    sent_at REAL NOT NULL,
    PRIMARY KEY (run_id, target)
) WITHOUT ROWID;
