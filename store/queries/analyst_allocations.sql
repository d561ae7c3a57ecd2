-- Every amount of an allocation run. Args: allocation run id.
SELECT entity_code, level, pool_id, grant_id, score, weight, proposal_yen, cap_yen, amount_yen, floor_yen, extra_units
FROM allocations
WHERE run_id = ?
ORDER BY level, pool_id, entity_code
