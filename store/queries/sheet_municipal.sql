-- The ministry workbook's 「市町村」 sheet (and the fixed columns of 「全国集計（市町村）」): every
-- municipality of a score run valid in the fiscal year, by code, with its prefecture, population,
-- points per grant, 総合計, rank, submission, 確定額 per grant (Σ over the grant's municipal pools of
-- the allocation run) and last year's 総合計 and rank (NULL without a previous run or a score in it).
-- Args: score run id, allocation run id, fiscal year ×3, previous score run id, score run id.
WITH g AS (SELECT entity_code, MAP(list(grant_id ORDER BY grant_id), list(CAST(points AS DOUBLE) ORDER BY grant_id)) AS grants
           FROM grant_scores WHERE run_id = ? GROUP BY entity_code),
y AS (SELECT entity_code, MAP(list(grant_id ORDER BY grant_id), list(yen ORDER BY grant_id)) AS yen
      FROM (SELECT entity_code, grant_id, CAST(sum(amount_yen) AS BIGINT) AS yen FROM allocations
            WHERE run_id = ? AND level = 'municipality' GROUP BY entity_code, grant_id)
      GROUP BY entity_code)
SELECT e.prefecture_code, pr.name_ja, e.code, e.name_ja, coalesce(p.population_total, 0), coalesce(p.population_65plus, 0),
       g.grants, CAST(t.total AS DOUBLE), t.national_rank, t.submitted, y.yen,
       CAST(pt.total AS DOUBLE), pt.national_rank
FROM score_totals t
JOIN entities e ON e.code = t.entity_code AND e.level = 'municipality'
     AND e.valid_from_fy <= ? AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= ?)
LEFT JOIN entities pr ON pr.level = 'prefecture' AND pr.prefecture_code = e.prefecture_code
LEFT JOIN populations p ON p.code = e.code AND p.fiscal_year = ?
LEFT JOIN g ON g.entity_code = e.code
LEFT JOIN y ON y.entity_code = e.code
LEFT JOIN score_totals pt ON pt.run_id = ? AND pt.level = 'municipality' AND pt.entity_code = e.code
WHERE t.run_id = ?
ORDER BY e.code
