-- Scales each indicator's points to each grant it counts in and rounds them
-- to 0.01 point, half away from zero (an indicator of 55 points counting 35 in 支援 scores
-- points × 35 ÷ 55 there; kf_div2 is exact and rounds as DuckDB's ROUND on DECIMAL does). An
-- indicator whose points in the grant are its own points is copied unchanged. Args: run id, hash,
-- hash, run id.
-- kf_agg lists the entities aggregated: every peer of the level, or when amending a run those
-- whose item rows changed.
-- The query is the rows' SELECT: the store inserts them (a run) or updates the rows with their
-- keys (amending a run in a rehearsal, where DuckDB refuses a key deleted and inserted again).
SELECT CAST(? AS BIGINT) AS run_id, sc.entity_code, sc.indicator_id, sc.goal_id, ig.grant_id,
  CASE WHEN ind.points = 0 OR ig.points = ind.points THEN sc.points ELSE kf_div2(sc.points * ig.points, ind.points) END AS points,
  CASE WHEN ind.points = 0 THEN ig.points WHEN ig.points = ind.points THEN sc.max_points ELSE kf_div2(sc.max_points * ig.points, ind.points) END AS max_points
FROM scores sc
JOIN rulebook_indicators ind ON ind.rulebook_hash = ? AND ind.indicator_id = sc.indicator_id
JOIN rulebook_indicator_grants ig ON ig.rulebook_hash = ? AND ig.indicator_id = sc.indicator_id
WHERE sc.run_id = ? AND sc.entity_code IN (SELECT entity_code FROM kf_agg)
