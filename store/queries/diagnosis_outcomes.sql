-- 地域診断: the ministry-supplied outcome values (目標Ⅳ, the answers of the run's 'outcomes'
-- inputs of its own fiscal year) of each municipality, against the distribution of the same item
-- over its size band (kf_size_band of the fiscal year's 65+ population; the band as a whole, the
-- municipality included): count, quartiles (quantile_cont, linear between order statistics), least
-- and greatest; and the nation's median. Rows for a municipality without a value of an item are
-- not returned. Of one municipality (its code) or of all ('').
-- Args: run id, fiscal year, fiscal year, run id, code, code.
WITH o AS (
  SELECT a.entity_code, a.item_id, CAST(a.value_num AS DOUBLE) AS v
  FROM answers a
  JOIN run_inputs i ON i.submission_id = a.submission_id AND i.run_id = ?
  JOIN submissions sb ON sb.id = a.submission_id AND sb.kind = 'outcomes' AND sb.fiscal_year = ?
  WHERE a.value_num IS NOT NULL),
m AS (
  SELECT t.entity_code, kf_size_band(p.population_65plus) AS band
  FROM score_totals t
  LEFT JOIN populations p ON p.code = t.entity_code AND p.fiscal_year = ?
  WHERE t.run_id = ? AND t.level = 'municipality'),
x AS MATERIALIZED (SELECT m.entity_code, m.band, o.item_id, o.v FROM o JOIN m ON m.entity_code = o.entity_code),
b AS (
  SELECT band, item_id, count(*) AS n, quantile_cont(v, 0.25) AS q1, quantile_cont(v, 0.5) AS q2,
    quantile_cont(v, 0.75) AS q3, min(v) AS lo, max(v) AS hi
  FROM x GROUP BY band, item_id),
nat AS (SELECT item_id, quantile_cont(v, 0.5) AS med FROM x GROUP BY item_id)
SELECT x.entity_code, x.item_id, x.v, b.n, b.q1, b.q2, b.q3, b.lo, b.hi, nat.med
FROM x JOIN b ON b.band = x.band AND b.item_id = x.item_id JOIN nat ON nat.item_id = x.item_id
WHERE ? = '' OR x.entity_code = ?
ORDER BY x.entity_code, x.item_id
