-- 地域診断: the items most of a municipality's peers achieve that it does not. Peers are the
-- municipalities of its size band (kf_size_band of the fiscal year's 65+ population, migration 008)
-- nationwide that submitted a survey, itself excepted, and for whom the item is not 対象外 (status
-- na: a peer the item does not apply to neither achieved it nor failed it); an item is achieved
-- when it scored more than 0 points. An item is listed for a municipality that scored 0 (or less) on it and was not 対象外
-- (status na) when at least pct % of its peers achieved it, compared in integers
-- (achieved × 100 ≥ pct × peers). Of one municipality (its code) or of all ('').
-- Args: fiscal year, run id, run id, pct, code, code.
WITH m AS (
  SELECT t.entity_code, t.submitted, kf_size_band(p.population_65plus) AS band
  FROM score_totals t
  LEFT JOIN populations p ON p.code = t.entity_code AND p.fiscal_year = ?
  WHERE t.run_id = ? AND t.level = 'municipality'),
x AS MATERIALIZED (
  SELECT m.entity_code, m.band, m.submitted, s.item_id, s.points > 0 AS got, s.status
  FROM item_scores s JOIN m ON m.entity_code = s.entity_code
  WHERE s.run_id = ?),
b AS (
  SELECT band, item_id, n, a, CAST(kf_div6(a, n) AS DOUBLE) AS share_all, CAST(kf_div6(a, n - 1) AS DOUBLE) AS share_others
  FROM (SELECT band, item_id, count(*) AS n, count(*) FILTER (WHERE got) AS a
        FROM x WHERE submitted AND status <> 'na' GROUP BY band, item_id))
SELECT x.entity_code, x.item_id, b.a, b.n - CAST(x.submitted AS INTEGER) AS peers,
  CASE WHEN x.submitted THEN b.share_others ELSE b.share_all END
FROM x JOIN b ON b.band = x.band AND b.item_id = x.item_id
WHERE NOT x.got AND x.status <> 'na' AND x.band <> 'unknown'
  AND b.n - CAST(x.submitted AS INTEGER) > 0
  AND b.a * 100 >= ? * (b.n - CAST(x.submitted AS INTEGER))
  AND (? = '' OR x.entity_code = ?)
ORDER BY x.entity_code, 5 DESC, x.item_id
