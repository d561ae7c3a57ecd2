-- Every indicator score of a score run. Args: score run id.
SELECT s.entity_code, t.level, s.indicator_id, s.goal_id, s.points, s.max_points, s.status, s.reason
FROM scores s
JOIN score_totals t ON t.run_id = s.run_id AND t.entity_code = s.entity_code
WHERE s.run_id = ?
ORDER BY s.entity_code, s.indicator_id
