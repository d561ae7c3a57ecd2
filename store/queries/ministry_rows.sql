-- Every municipality of a score run valid in the fiscal year, with its prefecture, population and
-- 総合計, 得点率, rank and submission. Args: fiscal year ×3, score run id.
SELECT e.prefecture_code, pr.name_ja, e.code, e.name_ja, coalesce(p.population_total, 0), coalesce(p.population_65plus, 0),
       CAST(t.total AS DOUBLE), CAST(t.rate AS DOUBLE), t.national_rank, t.submitted
FROM score_totals t
JOIN entities e ON e.code = t.entity_code AND e.level = 'municipality'
     AND e.valid_from_fy <= ? AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= ?)
LEFT JOIN entities pr ON pr.level = 'prefecture' AND pr.prefecture_code = e.prefecture_code
LEFT JOIN populations p ON p.code = e.code AND p.fiscal_year = ?
WHERE t.run_id = ?
ORDER BY e.code
