-- The ministry workbook's 「交付額」 sheet: every amount of an allocation run (prefectural pools
-- first, then by pool and code) with the entity's names: a prefecture by its own name, a
-- municipality (scored in the score run and valid in the fiscal year) by its prefecture's and its
-- own; an entity outside both keeps empty names.
-- Args: fiscal year ×2 (prefectures), score run id, fiscal year ×2 (municipalities), allocation run id.
WITH pref AS (SELECT code, name_ja FROM entities
              WHERE level = 'prefecture' AND valid_from_fy <= ? AND (valid_to_fy IS NULL OR valid_to_fy >= ?)),
muni AS (SELECT e.code, pr.name_ja AS pref_name, e.name_ja FROM score_totals t
         JOIN entities e ON e.code = t.entity_code AND e.level = 'municipality'
         LEFT JOIN entities pr ON pr.level = 'prefecture' AND pr.prefecture_code = e.prefecture_code
         WHERE t.run_id = ? AND e.valid_from_fy <= ? AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= ?))
SELECT coalesce(m.pref_name, p.name_ja, ''), a.entity_code, coalesce(m.name_ja, p.name_ja, ''), a.level, a.pool_id,
       CAST(a.score AS DOUBLE), a.weight, a.proposal_yen, a.cap_yen, a.amount_yen
FROM allocations a
LEFT JOIN pref p ON p.code = a.entity_code
LEFT JOIN muni m ON m.code = a.entity_code
WHERE a.run_id = ?
ORDER BY a.level DESC, a.pool_id, a.entity_code
