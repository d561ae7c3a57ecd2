-- 004: submission integrity (the unique index that goes with it is 005: DuckDB cannot create an
-- index in the transaction that updated the table).
--
-- One version number per submission slot (fiscal year, level, entity, kind) and one current
-- version per slot. Before this migration concurrent uploads for the same entity could write the
-- same version twice and leave several versions current (issue 9). Such a database is repaired
-- here: versions are renumbered in the order they were received (ids increase with time), and only
-- the newest of several current versions stays current. A database written correctly is unchanged.
UPDATE submissions SET version = r.rn
FROM (SELECT id, row_number() OVER (PARTITION BY fiscal_year, level, entity_code, kind ORDER BY id) AS rn FROM submissions) r
WHERE submissions.id = r.id AND submissions.version <> r.rn;
-- The runs that read renumbered versions name them by the new numbers too.
UPDATE run_inputs SET version = s.version FROM submissions s
WHERE s.id = run_inputs.submission_id AND run_inputs.version <> s.version;
UPDATE submissions SET status = 'superseded'
WHERE status = 'current' AND id NOT IN (
    SELECT max(id) FROM submissions WHERE status = 'current' GROUP BY fiscal_year, level, entity_code, kind);

-- Who submitted each version: through which door (cli, inbox, web, api) and with which token, role
-- and entity. A version whose submitter's entity is not its own was sent on the entity's behalf
-- (a prefecture for its municipality, the ministry for anyone). NULL for versions older than this.
ALTER TABLE submissions ADD COLUMN submitted_via VARCHAR;
ALTER TABLE submissions ADD COLUMN submitted_by_role VARCHAR;
ALTER TABLE submissions ADD COLUMN submitted_by_entity VARCHAR;
ALTER TABLE submissions ADD COLUMN submitted_by_token VARCHAR;
