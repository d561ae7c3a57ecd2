-- The difference-in-differences estimate per fiscal year and pooled over the years (fy NULL), from
-- the contrast's municipality-years (the body of impact_cells.sql, repeated here as c):
--   raw:  mean dy of the treated − mean dy of the controls in year t; pooled, the years' estimates
--         weighted by their treated counts (years with both groups only);
--   band: the same contrast within each size band of year t, the cells (t, band) with both groups
--         weighted by their treated counts (treated in a band without controls drop out: band_nt);
--   pre:  both again on pre = Y(t−1) − Y(t−2) (the pre-period trend check, where t−2 exists).
-- dy and pre are integer millionths: the sums and counts are exact, each figure divides exact
-- integers once (so the same data give the same bits, whatever the threads).
-- A contrast counts only with at least one treated and at least the minimum of controls (a mean
-- of a handful of controls is too noisy to weigh by the treated counts); the others are reported
-- (their counts) but left out of the estimates.
-- Args: action item, outcome item, first fiscal year, last fiscal year, threshold (decimal text),
-- the minimum of controls.
WITH c AS (
  SELECT fy, band, d = 1 AS treated,
    CAST((y - y_prev) * 1000000 AS BIGINT) AS dy,
    CASE WHEN d_prev2 = 0 AND y_prev2 IS NOT NULL THEN CAST((y_prev - y_prev2) * 1000000 AS BIGINT) END AS pre
  FROM kf_impact_panel(?, ?, ?, ?, ?)
  WHERE d_prev = 0 AND d IS NOT NULL AND y IS NOT NULL AND y_prev IS NOT NULL),
prm AS (SELECT CAST(? AS BIGINT) AS minc),
-- One row per (year, band) cell, and per year over all bands (band NULL), via GROUPING SETS.
g AS (
  SELECT fy, band,
    count(*) FILTER (WHERE treated) AS nt, count(*) FILTER (WHERE NOT treated) AS nc,
    sum(dy) FILTER (WHERE treated) AS st, sum(dy) FILTER (WHERE NOT treated) AS sc,
    count(pre) FILTER (WHERE treated) AS pnt, count(pre) FILTER (WHERE NOT treated) AS pnc,
    sum(pre) FILTER (WHERE treated) AS pst, sum(pre) FILTER (WHERE NOT treated) AS psc
  FROM c GROUP BY GROUPING SETS ((fy, band), (fy))),
-- Each contrast that counts: its weight, the treated count w, and w × (treated mean −
-- control mean) = (st·nc − nt·sc) / nc, kept exact as an integer in 10⁻¹⁵ of the outcome's unit
-- (millionths × 10⁹, rounded half away from zero) so that adding the contrasts up is exact and does
-- not depend on the order a parallel aggregate meets them (a sum of DOUBLEs would).
k AS (
  SELECT fy, band IS NULL AS whole,
    CASE WHEN nt > 0 AND nc >= minc THEN nt ELSE 0 END AS w,
    CASE WHEN nt > 0 AND nc >= minc THEN kf_impact_term(st, nt, sc, nc) END AS num,
    CASE WHEN pnt > 0 AND pnc >= minc THEN pnt ELSE 0 END AS pw,
    CASE WHEN pnt > 0 AND pnc >= minc THEN kf_impact_term(pst, pnt, psc, pnc) END AS pnum,
    nt, nc, st, sc, pnt, pnc
  FROM g CROSS JOIN prm),
-- Per year (and pooled: fy NULL) the weighted means of the contrasts, raw (whole) and by band, in
-- 10⁻¹⁵: one division of exact sums.
e AS (
  SELECT fy,
    CAST(sum(num) FILTER (WHERE whole) AS DOUBLE) / nullif(sum(w) FILTER (WHERE whole), 0) AS raw,
    CAST(sum(num) FILTER (WHERE NOT whole) AS DOUBLE) / nullif(sum(w) FILTER (WHERE NOT whole), 0) AS adj,
    sum(w) FILTER (WHERE NOT whole) AS adj_nt,
    CAST(sum(pnum) FILTER (WHERE whole) AS DOUBLE) / nullif(sum(pw) FILTER (WHERE whole), 0) AS praw,
    CAST(sum(pnum) FILTER (WHERE NOT whole) AS DOUBLE) / nullif(sum(pw) FILTER (WHERE NOT whole), 0) AS padj,
    sum(nt) FILTER (WHERE whole) AS nt, sum(nc) FILTER (WHERE whole) AS nc,
    sum(st) FILTER (WHERE whole) AS st, sum(sc) FILTER (WHERE whole) AS sc,
    sum(pnt) FILTER (WHERE whole) AS pnt, sum(pnc) FILTER (WHERE whole) AS pnc
  FROM k GROUP BY GROUPING SETS ((fy), ()))
SELECT fy, CAST(nt AS BIGINT), CAST(nc AS BIGINT),
  CAST(st AS DOUBLE) / nullif(nt, 0) / 1e6, CAST(sc AS DOUBLE) / nullif(nc, 0) / 1e6,
  raw / 1e15, adj / 1e15, CAST(coalesce(adj_nt, 0) AS BIGINT),
  CAST(pnt AS BIGINT), CAST(pnc AS BIGINT), praw / 1e15, padj / 1e15
FROM e
ORDER BY fy NULLS LAST
