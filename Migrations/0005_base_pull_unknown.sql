-- Whether a build pulled its base image can be unknown: an excerpt that does not show the FROM step. base_pulled now
-- holds 1 (pulled), 0 (the FROM step is shown, nothing was pulled) or -1 (unknown). Rows written before hold 0 or 1
-- and read as before. The column cannot change in SQLite without a copy, so a trigger keeps its values to these three.
CREATE TRIGGER image_build_base_pulled_values BEFORE INSERT ON image_build
WHEN NEW.base_pulled NOT IN (-1, 0, 1)
BEGIN
    SELECT RAISE(ABORT, 'base_pulled must be -1, 0 or 1');
END;
