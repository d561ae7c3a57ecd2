-- Each entity's total of every grant of a score run (hundredths), with its level, its 65+
-- population of the fiscal year and whether it submitted: goal_scores_of_grant.sql for every level
-- and grant at once (an allocation reads them all). Args: fiscal year, score run id.
SELECT t.level, g.entity_code, g.grant_id, CAST(g.points * 100 AS BIGINT), p.population_65plus, p.reference_date, t.submitted
FROM grant_scores g
JOIN score_totals t ON t.run_id = g.run_id AND t.entity_code = g.entity_code
JOIN populations p ON p.code = g.entity_code AND p.fiscal_year = ?
WHERE g.run_id = ?
ORDER BY t.level, g.grant_id, g.entity_code
