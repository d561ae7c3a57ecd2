-- Every municipality × item of a score run with what a prefectural reviewer compares it with:
-- the national and prefectural 該当率, last year's answer (from the inputs of the previous score
-- run) and the z-score of a numeric answer, of the municipalities of one prefecture (its two-digit
-- code) or of all ('') — the shares and z-scores always over the nation. Args: run id, run id,
-- previous run id, run id, prefecture, prefecture.
WITH muni AS (SELECT t.entity_code, e.prefecture_code FROM score_totals t JOIN entities e ON e.code = t.entity_code AND e.level = 'municipality'
              WHERE t.run_id = ? AND t.level = 'municipality'),
cur AS (SELECT a.entity_code, a.item_id, a.value_text, a.value_num FROM answers a JOIN run_inputs i ON i.submission_id = a.submission_id AND i.run_id = ?),
prev AS (SELECT a.entity_code, a.item_id, a.value_text FROM answers a JOIN run_inputs i ON i.submission_id = a.submission_id AND i.run_id = ?),
x AS (
  SELECT m.prefecture_code, s.entity_code, s.item_id, c.value_text, c.value_num, s.points AS pts, s.max_points AS mx,
         s.status, s.reason, p.value_text AS prev_text
  FROM item_scores s JOIN muni m ON m.entity_code = s.entity_code
  LEFT JOIN cur c ON c.entity_code = s.entity_code AND c.item_id = s.item_id
  LEFT JOIN prev p ON p.entity_code = s.entity_code AND p.item_id = s.item_id
  WHERE s.run_id = ?),
y AS (
  SELECT *, count(*) FILTER (WHERE pts > 0) OVER (PARTITION BY item_id) AS nat_met, count(*) OVER (PARTITION BY item_id) AS nat_n,
    count(*) FILTER (WHERE pts > 0) OVER (PARTITION BY item_id, prefecture_code) AS pref_met, count(*) OVER (PARTITION BY item_id, prefecture_code) AS pref_n
  FROM x)
SELECT prefecture_code, entity_code, item_id, coalesce(value_text, ''), CAST(pts AS DOUBLE), CAST(mx AS DOUBLE), status, reason,
  CAST(kf_div6(nat_met, nat_n) AS DOUBLE), CAST(kf_div6(pref_met, pref_n) AS DOUBLE),
  prev_text,
  CASE WHEN value_num IS NULL OR value_text IN ('はい', 'いいえ') THEN NULL
       ELSE round((CAST(value_num AS DECIMAL(38,6)) - avg(CAST(value_num AS DECIMAL(38,6))) OVER (PARTITION BY item_id))
         / nullif(sqrt(greatest(avg(CAST(value_num AS DECIMAL(38,6)) * CAST(value_num AS DECIMAL(38,6))) OVER (PARTITION BY item_id)
                                - pow(avg(CAST(value_num AS DECIMAL(38,6))) OVER (PARTITION BY item_id), 2), 0)), 0), 2) END
FROM y WHERE ? = '' OR prefecture_code = ? ORDER BY entity_code, item_id
