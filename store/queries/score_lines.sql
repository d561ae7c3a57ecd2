-- Everything a score run stored above its item scores, one line per row, in a fixed order: indicator
-- points, goal subtotals and grant totals per grant, and 総合計, maximum, 得点率, rank and whether the
-- entity submitted. Args: run id ×4.
SELECT 1, entity_code, indicator_id, '指標 ' || entity_code || ' ' || indicator_id || ' ' || CAST(points AS VARCHAR) || '/' || CAST(max_points AS VARCHAR) || ' ' || status || ' ' || reason
FROM scores WHERE run_id = ?
UNION ALL SELECT 2, entity_code, goal_id || '/' || grant_id, '目標 ' || entity_code || ' ' || goal_id || ' ' || grant_id || ' ' || CAST(points AS VARCHAR) || '/' || CAST(max_points AS VARCHAR)
FROM goal_scores WHERE run_id = ?
UNION ALL SELECT 3, entity_code, grant_id, '交付金 ' || entity_code || ' ' || grant_id || ' ' || CAST(points AS VARCHAR) || '/' || CAST(max_points AS VARCHAR)
FROM grant_scores WHERE run_id = ?
UNION ALL SELECT 4, entity_code, level, '総合計 ' || entity_code || ' ' || level || ' ' || CAST(total AS VARCHAR) || '/' || CAST(max_total AS VARCHAR) || ' 得点率 ' || CAST(rate AS VARCHAR) || ' 順位 ' || CAST(national_rank AS VARCHAR) || CASE WHEN submitted THEN ' 提出' ELSE ' 未提出' END
FROM score_totals WHERE run_id = ?
ORDER BY 1, 2, 3
