-- 地域診断: each municipality's yen per person aged 65+ in an allocation run (Σ 確定額 over its
-- pools ÷ the 65+ population the allocation weighted it by (allocations.weight, so that a later
-- population file changes neither this figure nor a rerun's), exact to 0.01 yen by kf_div2),
-- against its size band (kf_size_band of that weight; the band as a whole, itself included:
-- count, quartiles by quantile_cont over the per-person figures as DOUBLE, least, greatest), its
-- prefecture and the nation (each Σ yen ÷ Σ 65+ of its municipalities, to 0.01 yen).
-- Municipalities without a weight are left out. Of one municipality (its code) or of all ('').
-- Args: fiscal year, fiscal year, allocation run id, code, code.
WITH y AS (
  SELECT a.entity_code, sum(a.amount_yen) AS yen, CAST(max(a.weight) AS BIGINT) AS pop,
    kf_size_band(max(a.weight)) AS band, any_value(e.prefecture_code) AS pref
  FROM allocations a
  JOIN entities e ON e.code = a.entity_code AND e.level = 'municipality' AND e.valid_from_fy <= ?
    AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= ?)
  WHERE a.run_id = ? AND a.level = 'municipality'
  GROUP BY a.entity_code
  HAVING max(a.weight) > 0),
x AS MATERIALIZED (SELECT *, kf_div2(yen, pop) AS per, CAST(kf_div2(yen, pop) AS DOUBLE) AS perd FROM y),
b AS (
  SELECT band, count(*) AS n, quantile_cont(perd, 0.25) AS q1, quantile_cont(perd, 0.5) AS q2,
    quantile_cont(perd, 0.75) AS q3, min(perd) AS lo, max(perd) AS hi
  FROM x GROUP BY band),
pr AS (SELECT pref, kf_div2(sum(yen), sum(pop)) AS per FROM x GROUP BY pref),
nat AS (SELECT kf_div2(sum(yen), sum(pop)) AS per FROM x)
SELECT x.entity_code, x.yen, x.pop, kf_size_band_label(x.band), CAST(x.per AS DOUBLE), b.n,
  CAST(b.q1 AS DOUBLE), CAST(b.q2 AS DOUBLE), CAST(b.q3 AS DOUBLE), CAST(b.lo AS DOUBLE), CAST(b.hi AS DOUBLE),
  CAST(pr.per AS DOUBLE), CAST(nat.per AS DOUBLE)
FROM x JOIN b ON b.band = x.band JOIN pr ON pr.pref = x.pref CROSS JOIN nat
WHERE ? = '' OR x.entity_code = ?
ORDER BY x.entity_code
