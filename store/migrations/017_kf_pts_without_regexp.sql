-- 017: kf_pts (migration 001: points rendered for people, 5.00 -> 5, 2.50 -> 2.5, 0.25 -> 0.25)
-- without a regular expression. Its callers (score_indicators.sql: every item's points in an
-- indicator's reason, and the indicator's points and maximum) pass points, DECIMAL(9,2); 001 made it
-- kf_num, a regexp_replace over the text, which cost 0.2 µs a row — 90 ms of CPU for the nation's
-- 423,668 item rows in every score run, against about 10 ms for this. The points are taken as
-- hundredths (an exact BIGINT: DECIMAL(9,2) × DECIMAL(3,0) stays in 64 bits): a whole number is
-- printed as an integer, one with a zero last digit to one place, any other as it is. The same
-- strings as kf_num for every DECIMAL(9,2) (TestKfPtsRendersAsKfNum: every hundredth from
-- −10,000.00 to 10,000.00, the extremes, NULL).
CREATE OR REPLACE MACRO kf_pts(x) AS
  CASE WHEN CAST(CAST(x AS DECIMAL(9,2)) * CAST(100 AS DECIMAL(3,0)) AS BIGINT) % 100 = 0
         THEN CAST(CAST(CAST(x AS DECIMAL(9,2)) * CAST(100 AS DECIMAL(3,0)) AS BIGINT) // 100 AS VARCHAR)
       WHEN CAST(CAST(x AS DECIMAL(9,2)) * CAST(100 AS DECIMAL(3,0)) AS BIGINT) % 10 = 0
         THEN CAST(CAST(CAST(x AS DECIMAL(9,2)) AS DECIMAL(9,1)) AS VARCHAR)
       ELSE CAST(CAST(x AS DECIMAL(9,2)) AS VARCHAR) END;
