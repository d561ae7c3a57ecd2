-- Goal subtotals in each grant's points, the sums of the indicators' points in that
-- grant as indicator_grant_scores holds (and the workbooks print) them. Args: run id, run id.
INSERT INTO goal_scores
SELECT ?, entity_code, goal_id, grant_id, sum(points), sum(max_points)
FROM indicator_grant_scores
WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_peers)
GROUP BY entity_code, goal_id, grant_id
