-- What the Docker builds in a run did, and the class of each build and of the run.

ALTER TABLE run ADD COLUMN class TEXT;                                   -- cold | code-only | requirements | no-change; NULL when unknown
ALTER TABLE run ADD COLUMN class_confidence TEXT;                        -- low | medium | high
ALTER TABLE run ADD COLUMN class_source TEXT;                            -- build | changes | duration
ALTER TABLE run ADD COLUMN class_evidence TEXT NOT NULL DEFAULT '[]';    -- JSON array of strings
CREATE INDEX run_by_class ON run(class, coalesce(started_at, recorded_at));

-- One docker build (or bake/compose target) found in a run's log.
CREATE TABLE image_build (
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,                -- order of first appearance in the log
    name TEXT,                                -- image name, when the log says it
    tag TEXT,
    builder TEXT NOT NULL,                    -- buildkit | buildkit-tty | buildkit-rawjson | legacy
    attribution TEXT NOT NULL,                -- exact | inferred (parallel builds sharing step numbers)
    ambiguous_lines INTEGER NOT NULL,
    start_offset REAL,                        -- seconds from the run's first line; NULL without timestamps
    duration REAL,
    outcome TEXT NOT NULL,                    -- succeeded | failed | canceled | unfinished
    base_pulled INTEGER NOT NULL,             -- 0 or 1
    dependency_step INTEGER,                  -- position in build_step of the dependency install, if any
    error_lines TEXT NOT NULL DEFAULT '[]',   -- JSON array: the failing step's output and the failure line
    exit_code INTEGER,
    class TEXT,
    class_confidence TEXT,
    class_source TEXT,
    class_evidence TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (run_id, position)
);

-- The steps of one image build: BuildKit vertices or legacy `Step k/n`.
CREATE TABLE build_step (
    run_id INTEGER NOT NULL,
    image_position INTEGER NOT NULL,
    position INTEGER NOT NULL,
    vertex INTEGER,                           -- BuildKit #N
    stage TEXT,
    step_index INTEGER,                       -- k of [k/n]; NULL for internal vertices and exports
    step_total INTEGER,
    instruction TEXT NOT NULL,
    kind TEXT NOT NULL,                       -- from | run | copy | add | workdir | env | arg | other | internal | export
    status TEXT NOT NULL,                     -- cached | done | failed | canceled | running | pending
    duration REAL,                            -- as the builder states it
    start_offset REAL,
    PRIMARY KEY (run_id, image_position, position),
    FOREIGN KEY (run_id, image_position) REFERENCES image_build(run_id, position) ON DELETE CASCADE
);
