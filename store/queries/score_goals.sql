-- Goal subtotals in each grant's points, the sums of the indicators' points in that
-- grant as indicator_grant_scores holds (and the workbooks print) them. Args: run id, run id.
-- kf_agg lists the entities aggregated: every peer of the level, or when amending a run those
-- whose item rows changed.
-- The query is the rows' SELECT: the store inserts them (a run) or updates the rows with their
-- keys (amending a run in a rehearsal, where DuckDB refuses a key deleted and inserted again).
SELECT CAST(? AS BIGINT) AS run_id, entity_code, goal_id, grant_id, sum(points) AS points, sum(max_points) AS max_points
FROM indicator_grant_scores
WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_agg)
GROUP BY entity_code, goal_id, grant_id
