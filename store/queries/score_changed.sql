-- When amending a run (Scores.Amend): the peers of the level whose item rows (any column) differ
-- from the rows they replaced (kf_old_items) — their indicator, goal and grant rows are computed
-- again. Only the replaced rows can differ. Args: run id.
CREATE OR REPLACE TEMP TABLE kf_agg AS
WITH now AS (
  SELECT entity_code, item_id, points, max_points, status, reason, rank_no, rank_of
  FROM item_scores WHERE run_id = $1 AND entity_code IN (SELECT entity_code FROM kf_peers)
    AND (entity_code IN (SELECT entity_code FROM kf_scope) OR item_id IN (SELECT item_id FROM kf_shared))
)
SELECT DISTINCT entity_code FROM ((SELECT * FROM now EXCEPT ALL SELECT * FROM kf_old_items) UNION ALL (SELECT * FROM kf_old_items EXCEPT ALL SELECT * FROM now))
