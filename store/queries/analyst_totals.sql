-- 総合計, maximum, 得点率, rank and submission of every entity of a score run. Args: score run id.
SELECT entity_code, level, total, max_total, rate, national_rank, submitted
FROM score_totals
WHERE run_id = ?
ORDER BY level, entity_code
