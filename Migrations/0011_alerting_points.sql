-- The alerting metrics (the total and the phases) of every run in one small covering index: the verdicts and level
-- shifts of a report over the whole history read these rows alone, not the table's other metrics (about two thirds
-- of its rows).
CREATE INDEX metric_alerting ON metric(run_id, name, value) WHERE name = 'total' OR name GLOB 'phase:*';
