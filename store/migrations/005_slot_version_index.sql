-- 005: the database refuses a second row with the same version of a submission slot (fiscal year,
-- level, entity, kind). 004 repaired databases that had such rows.
CREATE UNIQUE INDEX submissions_slot_version ON submissions (fiscal_year, level, entity_code, kind, version);
-- DuckDB 1.1 refuses some ALTERs of an indexed table (ALTER COLUMN … SET DEFAULT; ADD COLUMN
-- works): a later migration that needs one drops this index first and creates it again after.
