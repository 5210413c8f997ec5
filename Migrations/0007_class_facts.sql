-- A class's evidence as facts (a kind and the names and numbers it is about), not sentences: a JSON array of objects
-- (README, "Facts"). NULL in rows written before; those keep their sentences in class_evidence, read as `text` facts.
ALTER TABLE run ADD COLUMN class_facts TEXT;
ALTER TABLE image_build ADD COLUMN class_facts TEXT;
