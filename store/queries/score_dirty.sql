-- When amending a run (Scores.Amend): what of the entities' own inputs differs from the run's —
-- an answer of the year or the year before added, removed or changed (their own files' and the
-- ministry's): a row (entity, item); or a survey of the year submitted or withdrawn: a row
-- (entity, NULL). Only the answers of the submissions read by the run and not now are compared.
-- kf_inputs are the inputs now. Args: run id, fiscal year, and the least and greatest id of the
-- submissions added or removed (kf_changed_inputs; a range that DuckDB's scan of answers can skip
-- most row groups with, answers being stored in the order of their submissions).
CREATE OR REPLACE TEMP TABLE kf_dirty_items AS
WITH base_inputs AS (
  SELECT s.id, s.entity_code, s.kind, s.fiscal_year
  FROM run_inputs ri JOIN submissions s ON s.id = ri.submission_id WHERE ri.run_id = $1
), added AS (
  SELECT id FROM kf_changed_inputs WHERE added
), removed AS (
  SELECT id FROM kf_changed_inputs WHERE NOT added
), now AS (
  SELECT a.entity_code, a.item_id, a.value_num, a.value_text, i.fiscal_year
  FROM answers a JOIN kf_inputs i ON i.id = a.submission_id
  WHERE a.submission_id BETWEEN $3 AND $4 AND a.submission_id IN (SELECT id FROM added)
), base AS (
  SELECT a.entity_code, a.item_id, a.value_num, a.value_text, i.fiscal_year
  FROM answers a JOIN base_inputs i ON i.id = a.submission_id
  WHERE a.submission_id BETWEEN $3 AND $4 AND a.submission_id IN (SELECT id FROM removed)
), base_surveys AS (
  SELECT entity_code FROM base_inputs WHERE kind = 'survey' AND fiscal_year = CAST($2 AS BIGINT)
), now_surveys AS (
  SELECT entity_code FROM kf_inputs WHERE kind = 'survey' AND fiscal_year = CAST($2 AS BIGINT)
)
SELECT DISTINCT entity_code, item_id FROM ((SELECT * FROM now EXCEPT ALL SELECT * FROM base) UNION ALL (SELECT * FROM base EXCEPT ALL SELECT * FROM now))
UNION
SELECT entity_code, CAST(NULL AS VARCHAR) FROM ((SELECT * FROM now_surveys EXCEPT ALL SELECT * FROM base_surveys) UNION ALL (SELECT * FROM base_surveys EXCEPT ALL SELECT * FROM now_surveys))
