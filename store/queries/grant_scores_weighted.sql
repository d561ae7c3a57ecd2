-- The grant totals of a level of a score run with each entity's weight (65+ population of the
-- fiscal year; NULL when missing, which the caller refuses). Args: level, fiscal year, score run id.
SELECT g.entity_code, g.grant_id, CAST(g.points * 100 AS BIGINT), p.population_65plus, p.reference_date
FROM grant_scores g
JOIN score_totals t ON t.run_id = g.run_id AND t.entity_code = g.entity_code AND t.level = ?
LEFT JOIN populations p ON p.code = g.entity_code AND p.fiscal_year = ?
WHERE g.run_id = ?
ORDER BY g.grant_id, g.entity_code
