-- 総合計 (the sum of the grant totals, so never below 0), 得点率 (total ÷ max_total,
-- exact to 9 places, half away from zero; 0 when nothing is scorable) and the competition rank
-- within the level. submitted is true only for an entity with a current survey of the year: every
-- output can flag the others 未提出. Args: level, fiscal year, run id.
-- The query is the rows' SELECT: the store inserts them (a run) or updates the rows with their
-- keys (amending a run in a rehearsal, where DuckDB refuses a key deleted and inserted again).
SELECT t.run_id, t.entity_code, CAST(? AS VARCHAR) AS level, t.total, t.max_total,
  CASE WHEN t.max_total = 0 THEN CAST(0 AS DECIMAL(18,9)) ELSE kf_div9(t.total, t.max_total) END AS rate,
  rank() OVER (ORDER BY t.total DESC) AS national_rank,
  EXISTS (SELECT 1 FROM kf_inputs i WHERE i.entity_code = t.entity_code AND i.kind = 'survey' AND i.fiscal_year = CAST(? AS BIGINT)) AS submitted
FROM (SELECT run_id, entity_code, greatest(sum(points), 0) AS total, sum(max_points) AS max_total
      FROM grant_scores WHERE run_id = ? AND entity_code IN (SELECT entity_code FROM kf_peers) GROUP BY run_id, entity_code) t
