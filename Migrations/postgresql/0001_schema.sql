-- The schema of the SQLite migrations 0001-0011 (../), in PostgreSQL's types, as one migration: no PostgreSQL store
-- existed before. The tables, columns and their meanings are the same (see the SQLite files for each column); a later
-- change to the schema comes as the next file in both folders. Statements are separated by a semicolon at the end of
-- a line.
CREATE TABLE run (
    id BIGSERIAL PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    pipeline_number BIGINT,
    commit_sha TEXT,
    branch TEXT,
    repo TEXT,
    step_name TEXT,
    started_at DOUBLE PRECISION,
    status TEXT NOT NULL,
    exit_code BIGINT,
    total_seconds DOUBLE PRECISION,
    line_count BIGINT NOT NULL,
    time_resolution DOUBLE PRECISION,
    recorded_at DOUBLE PRECISION NOT NULL,
    class TEXT,
    class_confidence TEXT,
    class_source TEXT,
    class_evidence TEXT NOT NULL DEFAULT '[]',
    context TEXT,
    run_key TEXT,
    configuration_error TEXT,
    class_facts TEXT,
    metrics_written BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX run_by_time ON run ((coalesce(started_at, recorded_at)), id);
CREATE INDEX run_by_pipeline ON run (repo, pipeline_number);
CREATE INDEX run_by_class ON run (class, (coalesce(started_at, recorded_at)));
CREATE INDEX run_by_key ON run (run_key);
CREATE INDEX run_by_commit ON run (commit_sha text_pattern_ops);

CREATE TABLE phase (
    run_id BIGINT NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    start_offset DOUBLE PRECISION,
    duration DOUBLE PRECISION,
    start_line BIGINT,
    end_line BIGINT,
    missing_marker TEXT,
    PRIMARY KEY (run_id, position)
);

CREATE TABLE image_build (
    run_id BIGINT NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT,
    tag TEXT,
    builder TEXT NOT NULL,
    attribution TEXT NOT NULL,
    ambiguous_lines BIGINT NOT NULL,
    start_offset DOUBLE PRECISION,
    duration DOUBLE PRECISION,
    outcome TEXT NOT NULL,
    base_pulled BIGINT NOT NULL CHECK (base_pulled IN (-1, 0, 1)),
    dependency_step BIGINT,
    error_lines TEXT NOT NULL DEFAULT '[]',
    exit_code BIGINT,
    class TEXT,
    class_confidence TEXT,
    class_source TEXT,
    class_evidence TEXT NOT NULL DEFAULT '[]',
    class_facts TEXT,
    PRIMARY KEY (run_id, position)
);

CREATE TABLE build_step (
    run_id BIGINT NOT NULL,
    image_position BIGINT NOT NULL,
    position BIGINT NOT NULL,
    vertex BIGINT,
    stage TEXT,
    step_index BIGINT,
    step_total BIGINT,
    instruction TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    duration DOUBLE PRECISION,
    start_offset DOUBLE PRECISION,
    PRIMARY KEY (run_id, image_position, position),
    FOREIGN KEY (run_id, image_position) REFERENCES image_build (run_id, position) ON DELETE CASCADE
);

CREATE TABLE step (
    id BIGSERIAL PRIMARY KEY,
    run_key TEXT NOT NULL,
    name TEXT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    duration DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    exit_code BIGINT,
    line_count BIGINT NOT NULL,
    images TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX step_by_run_key ON step (run_key, started_at);

CREATE TABLE metric (
    run_id BIGINT NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    class TEXT,
    status TEXT NOT NULL,
    repo TEXT,
    at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, name)
);
CREATE INDEX metric_by_series ON metric (class, name, at);
CREATE INDEX metric_alerting ON metric (run_id, name, value) WHERE name = 'total' OR name LIKE 'phase:%';

CREATE TABLE export (
    run_id BIGINT NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    sent_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, target)
);
