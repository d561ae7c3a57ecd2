-- The review workbook's 「センター」 sheet: every centre valid in the fiscal year, by prefecture and
-- code, with its municipality and its standing in the score run (zero when not scored).
-- Args: score run id, fiscal year ×2.
SELECT e.prefecture_code, e.code, e.name_ja, coalesce(e.parent_code, ''), coalesce(t.submitted, FALSE),
       coalesce(CAST(t.total AS DOUBLE), 0), coalesce(CAST(t.max_total AS DOUBLE), 0), coalesce(CAST(t.rate AS DOUBLE), 0)
FROM entities e
LEFT JOIN score_totals t ON t.run_id = ? AND t.level = 'centre' AND t.entity_code = e.code
WHERE e.level = 'centre' AND e.valid_from_fy <= ? AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= ?)
ORDER BY e.prefecture_code, e.code
