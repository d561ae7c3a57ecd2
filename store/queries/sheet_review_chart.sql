-- The review workbook's 「得点分布」 sheet, the nation's part: how many of a score run's municipalities
-- fall in each of the 16 bins of 総合計 (bin k holds totals from k × step, the last one everything
-- above), by bin, with the number of municipalities. The bin is the chart's display only.
-- Args: bin width (points, double), score run id.
SELECT bin, count(*), any_value(n) FROM (
  SELECT least(greatest(CAST(trunc(CAST(total AS DOUBLE) / ?) AS BIGINT), 0), 15) AS bin, count(*) OVER () AS n
  FROM score_totals WHERE run_id = ? AND level = 'municipality')
GROUP BY bin ORDER BY bin
