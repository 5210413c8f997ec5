-- The machine and the change around a recorded run (load, cores, free disk, docker system df, git, CI variables),
-- as a JSON document; see RunContext in the source.
ALTER TABLE run ADD COLUMN context TEXT;
