-- Scales each indicator's points to each grant it counts in and rounds them
-- to 0.01 point, half away from zero (an indicator of 55 points counting 35 in 支援 scores
-- points × 35 ÷ 55 there; kf_div2 is exact and rounds as DuckDB's ROUND on DECIMAL does). An
-- indicator whose points in the grant are its own points is copied unchanged. Args: run id, hash,
-- hash, run id.
INSERT INTO indicator_grant_scores
SELECT ?, sc.entity_code, sc.indicator_id, sc.goal_id, ig.grant_id,
  CASE WHEN ind.points = 0 OR ig.points = ind.points THEN sc.points ELSE kf_div2(sc.points * ig.points, ind.points) END,
  CASE WHEN ind.points = 0 THEN ig.points WHEN ig.points = ind.points THEN sc.max_points ELSE kf_div2(sc.max_points * ig.points, ind.points) END
FROM scores sc
JOIN rulebook_indicators ind ON ind.rulebook_hash = ? AND ind.indicator_id = sc.indicator_id
JOIN rulebook_indicator_grants ig ON ig.rulebook_hash = ? AND ig.indicator_id = sc.indicator_id
WHERE sc.run_id = ? AND sc.entity_code IN (SELECT entity_code FROM kf_peers)
