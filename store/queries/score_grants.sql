-- Grant totals, the sums of their goal subtotals, floored at 0 (a negative
-- indicator, where a rulebook allows one, cannot make a grant negative); a goal that counts in two
-- grants counts in both. Args: run id, run id.
-- kf_agg lists the entities aggregated: every peer of the level, or when amending a run those
-- whose item rows changed.
-- The query is the rows' SELECT: the store inserts them (a run) or updates the rows with their
-- keys (amending a run in a rehearsal, where DuckDB refuses a key deleted and inserted again).
SELECT CAST(? AS BIGINT) AS run_id, entity_code, grant_id, greatest(sum(points), 0) AS points, sum(max_points) AS max_points
FROM goal_scores
WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_agg)
GROUP BY entity_code, grant_id
