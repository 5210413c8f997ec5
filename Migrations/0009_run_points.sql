-- What a report reads of every run (`points`), in the report's order: read from this index alone, a year of runs is a
-- few megabytes instead of the whole run table with its contexts and evidence.
CREATE INDEX run_points ON run(coalesce(started_at, recorded_at), id, fingerprint, pipeline_number, commit_sha, branch, repo,
    started_at, recorded_at, class, status);
