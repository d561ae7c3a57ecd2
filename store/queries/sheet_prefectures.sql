-- The ministry workbook's 「都道府県」 sheet: every prefecture valid in the fiscal year, by code, with
-- its 第1号被保険者数, points per grant, 総合計 and rank in the score run (0 when not scored) and
-- 確定額 per grant (Σ over the grant's prefectural pools of the allocation run).
-- Args: score run id, allocation run id, fiscal year (populations), score run id, fiscal year ×2.
WITH g AS (SELECT entity_code, MAP(list(grant_id ORDER BY grant_id), list(CAST(points AS DOUBLE) ORDER BY grant_id)) AS grants
           FROM grant_scores WHERE run_id = ? GROUP BY entity_code),
y AS (SELECT entity_code, MAP(list(grant_id ORDER BY grant_id), list(yen ORDER BY grant_id)) AS yen
      FROM (SELECT entity_code, grant_id, CAST(sum(amount_yen) AS BIGINT) AS yen FROM allocations
            WHERE run_id = ? AND level = 'prefecture' GROUP BY entity_code, grant_id)
      GROUP BY entity_code)
SELECT e.code, e.name_ja, coalesce(p.population_65plus, 0), g.grants,
       coalesce(CAST(t.total AS DOUBLE), 0), coalesce(t.national_rank, 0), y.yen
FROM entities e
LEFT JOIN populations p ON p.code = e.code AND p.fiscal_year = ?
LEFT JOIN score_totals t ON t.run_id = ? AND t.level = 'prefecture' AND t.entity_code = e.code
LEFT JOIN g ON g.entity_code = e.code
LEFT JOIN y ON y.entity_code = e.code
WHERE e.level = 'prefecture' AND e.valid_from_fy <= ? AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= ?)
ORDER BY e.code
