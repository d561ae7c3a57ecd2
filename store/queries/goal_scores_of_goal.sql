-- Each entity's points of one goal in one grant of a score run (hundredths), with its 65+
-- population of the fiscal year and whether it submitted. Args: level, fiscal year, score run id,
-- goal, grant.
SELECT g.entity_code, g.grant_id, CAST(g.points * 100 AS BIGINT), p.population_65plus, p.reference_date, t.submitted
FROM goal_scores g
JOIN score_totals t ON t.run_id = g.run_id AND t.entity_code = g.entity_code AND t.level = ?
JOIN populations p ON p.code = g.entity_code AND p.fiscal_year = ?
WHERE g.run_id = ? AND g.goal_id = ? AND g.grant_id = ?
ORDER BY g.entity_code
