-- The review workbook's 「審査」 sheet (and the feedback workbook's rows): every municipality of a
-- score run valid in the fiscal year, by prefecture and code, with its standing (総合計, maximum,
-- 得点率, national rank out of the level's entities, 県内順位 by competition ranking on 総合計 within
-- the prefecture), its 確定額 summed over every municipal pool of the allocation run, the current
-- review verdict (and when it was recorded) and its points per grant (for the worth of a point).
-- Args: score run id, allocation run id, score run id, fiscal year ×4, score run id.
WITH g AS (SELECT entity_code, MAP(list(grant_id ORDER BY grant_id), list(CAST(points AS DOUBLE) ORDER BY grant_id)) AS grants
           FROM grant_scores WHERE run_id = ? GROUP BY entity_code),
y AS (SELECT entity_code, CAST(sum(amount_yen) AS BIGINT) AS yen FROM allocations
      WHERE run_id = ? AND level = 'municipality' GROUP BY entity_code),
n AS (SELECT count(*) AS of FROM score_totals WHERE run_id = ? AND level = 'municipality')
SELECT e.prefecture_code, e.code, e.name_ja, t.submitted, coalesce(p.population_65plus, 0),
       CAST(t.total AS DOUBLE), CAST(t.max_total AS DOUBLE), CAST(t.rate AS DOUBLE), t.national_rank, n.of,
       rank() OVER (PARTITION BY e.prefecture_code ORDER BY t.total DESC), coalesce(y.yen, 0),
       coalesce(r.status, ''), coalesce(r.comment, ''), r.imported_at, g.grants
FROM score_totals t
JOIN entities e ON e.code = t.entity_code AND e.level = 'municipality'
     AND e.valid_from_fy <= ? AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= ?)
CROSS JOIN n
LEFT JOIN populations p ON p.code = e.code AND p.fiscal_year = ?
LEFT JOIN reviews r ON r.fiscal_year = ? AND r.current AND r.entity_code = e.code
LEFT JOIN g ON g.entity_code = e.code
LEFT JOIN y ON y.entity_code = e.code
WHERE t.run_id = ?
ORDER BY e.prefecture_code, e.code
