-- The entities of a level valid in the fiscal year, with their prefecture's name and their
-- population of the year. Args: fiscal year ×3, level, fiscal year ×2.
SELECT e.code, e.level, coalesce(e.parent_code, ''), e.prefecture_code, coalesce(pr.name_ja, ''), e.name_ja, coalesce(e.type_ja, ''),
       coalesce(p.population_total, 0), coalesce(p.population_65plus, 0)
FROM entities e
LEFT JOIN populations p ON p.code = e.code AND p.fiscal_year = ?
LEFT JOIN entities pr ON pr.level = 'prefecture' AND pr.prefecture_code = e.prefecture_code
     AND pr.valid_from_fy <= ? AND (pr.valid_to_fy IS NULL OR pr.valid_to_fy >= ?)
WHERE e.level = ? AND e.valid_from_fy <= ? AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= ?)
ORDER BY e.code
