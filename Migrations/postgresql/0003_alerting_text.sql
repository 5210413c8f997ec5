-- Each run's alerting metrics (total and phases) kept beside it as one text, `name=value` pairs apart by the unit
-- separator, as the report reads them: reading a year of runs is then one scan of the run table, not one lookup of the
-- metric table per run. Written with the run's metric rows, in the same transaction; runs stored before get theirs
-- here. A run without one (a version before this wrote it) is read from the metric table as before.
ALTER TABLE run ADD COLUMN alerting TEXT;
UPDATE run SET alerting = coalesce((SELECT string_agg(m.name || '=' || m.value::text, chr(31) ORDER BY m.name) FROM metric m
                                    WHERE m.run_id = run.id AND (m.name = 'total' OR m.name LIKE 'phase:%')), '');
