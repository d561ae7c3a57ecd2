-- Every municipality × item of a score run with what a prefectural reviewer compares it with:
-- the national and prefectural 該当率, last year's answer (from the inputs of the previous score
-- run) and the z-score of a numeric answer, of the municipalities of one prefecture (its two-digit
-- code) or of all ('') — the shares and z-scores always over the nation. Args: run id, run id,
-- previous run id, run id, prefecture, prefecture.
-- A score run's inputs include last year's submissions (for the items scored on a change): the
-- answers are those of the run's own fiscal year.
-- The shares, means and standard deviations are computed once per item (nat) and per item and
-- prefecture (pref) and joined to the rows: computed per row (window functions, kf_div6 on each
-- row's counts) the same values cost six times as much.
WITH muni AS (SELECT t.entity_code, e.prefecture_code FROM score_totals t JOIN entities e ON e.code = t.entity_code AND e.level = 'municipality'
              WHERE t.run_id = ? AND t.level = 'municipality'),
cur AS (SELECT a.entity_code, a.item_id, a.value_text, a.value_num FROM answers a JOIN run_inputs i ON i.submission_id = a.submission_id AND i.run_id = ?
        JOIN runs r ON r.id = i.run_id JOIN submissions sb ON sb.id = a.submission_id AND sb.fiscal_year = r.fiscal_year),
prev AS (SELECT a.entity_code, a.item_id, a.value_text FROM answers a JOIN run_inputs i ON i.submission_id = a.submission_id AND i.run_id = ?
         JOIN runs r ON r.id = i.run_id JOIN submissions sb ON sb.id = a.submission_id AND sb.fiscal_year = r.fiscal_year),
x AS MATERIALIZED (
  SELECT m.prefecture_code, s.entity_code, s.item_id, c.value_text, c.value_num, s.points AS pts, s.max_points AS mx,
         s.status, s.reason, p.value_text AS prev_text
  FROM item_scores s JOIN muni m ON m.entity_code = s.entity_code
  LEFT JOIN cur c ON c.entity_code = s.entity_code AND c.item_id = s.item_id
  LEFT JOIN prev p ON p.entity_code = s.entity_code AND p.item_id = s.item_id
  WHERE s.run_id = ?),
nat AS (
  SELECT item_id, CAST(kf_div6(count(*) FILTER (WHERE pts > 0), count(*)) AS DOUBLE) AS nat_rate,
    avg(CAST(value_num AS DECIMAL(38,6))) AS mean,
    nullif(sqrt(greatest(avg(CAST(value_num AS DECIMAL(38,6)) * CAST(value_num AS DECIMAL(38,6)))
                         - pow(avg(CAST(value_num AS DECIMAL(38,6))), 2), 0)), 0) AS sd
  FROM x GROUP BY item_id),
pref AS (
  SELECT item_id, prefecture_code, CAST(kf_div6(count(*) FILTER (WHERE pts > 0), count(*)) AS DOUBLE) AS pref_rate
  FROM x GROUP BY item_id, prefecture_code)
SELECT x.prefecture_code, x.entity_code, x.item_id, coalesce(x.value_text, ''), CAST(x.pts AS DOUBLE), CAST(x.mx AS DOUBLE), x.status, x.reason,
  nat.nat_rate, pref.pref_rate, x.prev_text,
  CASE WHEN x.value_num IS NULL OR x.value_text IN ('はい', 'いいえ') THEN NULL
       ELSE round((CAST(x.value_num AS DECIMAL(38,6)) - nat.mean) / nat.sd, 2) END
FROM x JOIN nat ON nat.item_id = x.item_id JOIN pref ON pref.item_id = x.item_id AND pref.prefecture_code = x.prefecture_code
WHERE ? = '' OR x.prefecture_code = ?
ORDER BY x.entity_code, x.item_id
