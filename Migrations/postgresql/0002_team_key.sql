-- A run's workflow, and who it is in a team's store: its repository, pipeline number, workflow and step (unit
-- separator between them) when the CI said. Two agents storing the same step of the same pipeline store it once.
-- Runs stored before keep their rows; of several that share a key the first stored takes it, the others stay keyless.
ALTER TABLE run ADD COLUMN workflow TEXT;
ALTER TABLE run ADD COLUMN team_key TEXT;
UPDATE run SET team_key = repo || chr(31) || pipeline_number::text || chr(31) || chr(31) || step_name
WHERE id IN (
    SELECT min(id) FROM run
    WHERE repo IS NOT NULL AND pipeline_number IS NOT NULL AND step_name IS NOT NULL
    GROUP BY repo, pipeline_number, step_name
);
CREATE UNIQUE INDEX run_by_team_key ON run(team_key);
