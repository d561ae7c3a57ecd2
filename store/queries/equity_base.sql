-- The equity view's one row per municipality and fiscal year (issue 14): every fiscal year with a
-- succeeded score run at or before an "as of" run id, read from the latest succeeded allocation run
-- of the year at or before it (and the score run that allocation used), or, for a year without an
-- allocation, its latest succeeded score run. The same as-of id gives the same rows however many runs
-- come later (an export reads as of its allocation run).
-- Per row: 得点率 (score_totals.rate, exact DECIMAL(18,9)); 65+ (the allocation's weight, else the
-- year's population); total population; 高齢化率 = 65+ ÷ total, exact to 9 places (NULL without a
-- total); its quintile (ntile(5) over the year's rows with a 高齢化率, ordered by 高齢化率 then code:
-- 1 = least aged); the size band (kf_size_band, migration 008); yen over every pool of the allocation
-- run (NULL when the year has no allocation) and yen per 65+ exact to 6 places; whether 得点率 is
-- below the year's national mean − 2·SD (population SD over every municipality of the run,
-- submitted or not, decided exactly on integers as count_low does), and the same of the year before
-- (NULL when that year has no run).
-- Populations (65+ where the year has no allocation, and the total for 高齢化率) are those in force
-- when the as-of run finished: a value replaced since then is read from population_history (the
-- earliest replacement after that time holds it), so that a later correction of any year's
-- population file changes neither an export's 「公平性」 nor its rerun. With no as-of run (the live
-- view) they are today's.
-- Args: as-of run id ×3.
WITH as_of AS (SELECT max(coalesce(finished_at, started_at)) AS t FROM runs WHERE id = ?),
pop AS (
  SELECT p.code, p.fiscal_year, p.population_total, p.population_65plus FROM populations p
  WHERE NOT EXISTS (SELECT 1 FROM population_history h, as_of
                    WHERE h.code = p.code AND h.fiscal_year = p.fiscal_year AND h.replaced_at > as_of.t)
  UNION ALL
  SELECT h.code, h.fiscal_year, arg_min(h.population_total, h.replaced_at), arg_min(h.population_65plus, h.replaced_at)
  FROM population_history h, as_of WHERE h.replaced_at > as_of.t
  GROUP BY h.code, h.fiscal_year),
al AS (SELECT fiscal_year, max(id) AS alloc_run FROM runs
            WHERE kind = 'allocate' AND status = 'succeeded' AND id <= ? GROUP BY fiscal_year),
sc AS (SELECT fiscal_year, max(id) AS score_run FROM runs
       WHERE kind = 'score' AND status = 'succeeded' AND id <= ? GROUP BY fiscal_year),
ru AS (SELECT sc.fiscal_year, coalesce(TRY_CAST(json_extract_string(r.manifest, '$.score_run_id') AS BIGINT), sc.score_run) AS score_run, al.alloc_run
       FROM sc LEFT JOIN al ON al.fiscal_year = sc.fiscal_year LEFT JOIN runs r ON r.id = al.alloc_run),
yen AS (SELECT a.run_id, a.entity_code, sum(a.amount_yen) AS yen, max(a.weight) AS weight
        FROM allocations a JOIN ru ON a.run_id = ru.alloc_run
        WHERE a.level = 'municipality' GROUP BY a.run_id, a.entity_code),
m AS MATERIALIZED (SELECT ru.fiscal_year AS fy, ru.score_run, ru.alloc_run, e.prefecture_code, coalesce(pr.name_ja, e.prefecture_code) AS prefecture_name,
        e.code, e.name_ja AS name, t.total, t.max_total, t.rate, t.submitted,
        coalesce(y.weight, p.population_65plus) AS pop65, p.population_total AS pop_total,
        CASE WHEN ru.alloc_run IS NULL THEN NULL ELSE CAST(coalesce(y.yen, 0) AS BIGINT) END AS yen
      FROM ru
      JOIN score_totals t ON t.run_id = ru.score_run AND t.level = 'municipality'
      JOIN entities e ON e.code = t.entity_code AND e.level = 'municipality'
           AND e.valid_from_fy <= ru.fiscal_year AND (e.valid_to_fy IS NULL OR e.valid_to_fy >= ru.fiscal_year)
      LEFT JOIN entities pr ON pr.level = 'prefecture' AND pr.prefecture_code = e.prefecture_code
           AND pr.valid_from_fy <= ru.fiscal_year AND (pr.valid_to_fy IS NULL OR pr.valid_to_fy >= ru.fiscal_year)
      LEFT JOIN pop p ON p.code = e.code AND p.fiscal_year = ru.fiscal_year
      LEFT JOIN yen y ON y.run_id = ru.alloc_run AND y.entity_code = e.code),
st AS (SELECT fy, count(*) AS n, sum(kf_int9(rate)) AS s, sum(kf_int9(rate) * kf_int9(rate)) AS q FROM m GROUP BY fy),
x AS (SELECT m.*, kf_size_band(m.pop65) AS band,
        CASE WHEN m.pop_total > 0 AND m.pop65 IS NOT NULL THEN kf_div9(m.pop65, m.pop_total) END AS aging,
        CASE WHEN m.yen IS NOT NULL AND m.pop65 > 0 THEN kf_div6(m.yen, m.pop65) END AS ypp,
        -- r < mean − 2·SD ⇔ S − n·R > 0 and (S − n·R)² > 4·(n·Q − S²), R = r·10⁹ (population SD).
        (st.s - st.n * kf_int9(m.rate)) > 0
          AND (st.s - st.n * kf_int9(m.rate)) * (st.s - st.n * kf_int9(m.rate)) > 4 * (st.n * st.q - st.s * st.s) AS low
      FROM m JOIN st ON st.fy = m.fy)
SELECT fy, score_run, alloc_run, prefecture_code, prefecture_name, code, name, total, max_total, rate, submitted,
       pop65, pop_total, band, aging,
       CASE WHEN aging IS NOT NULL THEN ntile(5) OVER (PARTITION BY fy, aging IS NULL ORDER BY aging, code) END AS aging_quintile,
       yen, ypp, low,
       CASE WHEN lag(fy) OVER (PARTITION BY code ORDER BY fy) = fy - 1 THEN lag(low) OVER (PARTITION BY code ORDER BY fy) END AS low_prev
FROM x
