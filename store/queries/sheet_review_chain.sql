-- The review workbook's 「配分の説明」 sheet: every municipal amount of an allocation run, by code and
-- pool. (Score × weight and its Σ over the pool are printed as float64 sums, computed by the
-- pipeline in the pool's code order as before: display only, no decision is taken on them.)
-- Args: allocation run id.
SELECT entity_code, pool_id, CAST(score AS DOUBLE), weight, proposal_yen, cap_yen, amount_yen
FROM allocations WHERE run_id = ? AND level = 'municipality'
ORDER BY entity_code, pool_id
