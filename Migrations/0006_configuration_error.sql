-- A run recorded while .buildtime.yml could not be used: its phases are not measured (they would be the built-in
-- markers', not the team's), and the run says why (`file:line: reason`). NULL for every other run.
ALTER TABLE run ADD COLUMN configuration_error TEXT;
