-- Grant totals, the sums of their goal subtotals, floored at 0 (a negative
-- indicator, where a rulebook allows one, cannot make a grant negative); a goal that counts in two
-- grants counts in both. Args: run id, run id.
INSERT INTO grant_scores
SELECT ?, entity_code, grant_id, greatest(sum(points), 0), sum(max_points)
FROM goal_scores
WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_peers)
GROUP BY entity_code, grant_id
