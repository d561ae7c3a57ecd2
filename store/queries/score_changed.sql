-- When amending a run (Scores.Amend): the peers of the level whose item rows (any column) differ
-- from the rows they replaced (kf_old_items) — their indicator, goal and grant rows are computed
-- again. The rows computed again have the keys (entity, item) of the rows they replaced: the same
-- peers and rulebook give every peer the same items (Amend checks the counts). Args: run id.
CREATE OR REPLACE TEMP TABLE kf_agg AS
SELECT DISTINCT o.entity_code
FROM kf_old_items o
LEFT JOIN (SELECT entity_code, item_id, points, max_points, status, reason, rank_no, rank_of FROM item_scores WHERE run_id = $1) s
  ON s.entity_code = o.entity_code AND s.item_id = o.item_id
WHERE s.item_id IS NULL OR s.points IS DISTINCT FROM o.points OR s.max_points IS DISTINCT FROM o.max_points
   OR s.status IS DISTINCT FROM o.status OR s.reason IS DISTINCT FROM o.reason
   OR s.rank_no IS DISTINCT FROM o.rank_no OR s.rank_of IS DISTINCT FROM o.rank_of
