-- The review workbook's 「配分の説明」 sheet: every municipal amount of an allocation run, by code and
-- pool, with score × weight and its Σ over the pool's municipalities, both exact (DECIMAL) before they
-- are handed over as float64 to print (the nearest double of an exact value prints as that value:
-- 89356080.16, not a float sum's 89356080.15999998).
-- Args: allocation run id.
SELECT entity_code, pool_id, CAST(score AS DOUBLE), weight,
       CAST(score * weight AS DOUBLE),
       CAST(sum(score * weight) OVER (PARTITION BY pool_id) AS DOUBLE),
       proposal_yen, cap_yen, amount_yen
FROM allocations WHERE run_id = ? AND level = 'municipality'
ORDER BY entity_code, pool_id
