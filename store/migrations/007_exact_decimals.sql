-- 007: exact decimals wherever a number is scored or compared (issue 10), the indicator points per
-- grant that goal subtotals add up, and the rulebook's allow_negative flag.

-- Exact division, rounded half away from zero: round(a ÷ b, s) for exact a and b (DECIMAL with at
-- most 9 decimal places, or integers). DuckDB divides DECIMALs in DOUBLE, so the quotient is taken
-- on integers: with A = a·10⁹ and B = b·10⁹, q = sign(A)·sign(B)·⌊(2·|A|·10ˢ + |B|) / (2·|B|)⌋.
-- kf_qint gives q (HUGEINT; NULL when b = 0), kf_div2/6/9 give it as DECIMAL(9,2)/(18,6)/(18,9).
CREATE MACRO kf_int9(x) AS CAST(CAST(x AS DECIMAL(38,9)) * 1000000000 AS HUGEINT);
CREATE MACRO kf_qint(a, b, p) AS CASE WHEN b = 0 THEN NULL
    ELSE sign(kf_int9(a)) * sign(kf_int9(b)) * ((2 * abs(kf_int9(a)) * p + abs(kf_int9(b))) // (2 * abs(kf_int9(b)))) END;
CREATE MACRO kf_div2(a, b) AS CAST(CAST(kf_qint(a, b, 100) AS DECIMAL(18,0)) * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(9,2));
CREATE MACRO kf_div6(a, b) AS CAST(CAST(kf_qint(a, b, 1000000) AS DECIMAL(18,0)) * CAST(0.000001 AS DECIMAL(7,6)) AS DECIMAL(18,6));
CREATE MACRO kf_div9(a, b) AS CAST(CAST(kf_qint(a, b, 1000000000) AS DECIMAL(18,0)) * CAST(0.000000001 AS DECIMAL(10,9)) AS DECIMAL(18,9));

-- Answers' numbers become DECIMAL(18,6): the normalised text the loaders stored (the shortest
-- decimal that reads back as the number, i.e. what was typed) rounded half away from zero to 6
-- places; where the text is not that number (yes/no 1/0, a choice's position) the number itself.
-- A number of 10¹² or more cannot be held (the loaders refuse it from now on): it becomes NULL,
-- which scores as a text without a number (0 points, 未回答).
ALTER TABLE answers ALTER COLUMN value_num TYPE DECIMAL(18,6) USING
    CASE WHEN value_num IS NULL OR abs(value_num) >= 1e12 THEN NULL
         WHEN TRY_CAST(value_text AS DOUBLE) = value_num THEN coalesce(TRY_CAST(value_text AS DECIMAL(18,6)), CAST(value_num AS DECIMAL(18,6)))
         ELSE CAST(value_num AS DECIMAL(18,6)) END;

-- 得点率 becomes DECIMAL(18,9): total ÷ max_total rounded half away from zero to 9 places,
-- recomputed from the stored exact totals.
ALTER TABLE score_totals ALTER COLUMN rate TYPE DECIMAL(18,9) USING
    CASE WHEN max_total = 0 THEN 0 ELSE kf_div9(total, max_total) END;

-- An indicator may score below 0 (a penalty item larger than what it earned) only when its rulebook
-- says "allow_negative": true; rulebooks registered before this had no such flag.
ALTER TABLE rulebook_indicators ADD COLUMN allow_negative BOOLEAN DEFAULT FALSE;
UPDATE rulebook_indicators SET allow_negative = FALSE WHERE allow_negative IS NULL;

-- Each indicator's points in each grant it counts in, rounded to 0.01 point: goal subtotals are the
-- sums of these (as officials add the printed points by hand). Runs scored before this migration
-- have no rows here (their goal subtotals were rounded once per goal).
CREATE TABLE indicator_grant_scores (
    run_id       BIGINT NOT NULL,
    entity_code  VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    goal_id      VARCHAR NOT NULL,
    grant_id     VARCHAR NOT NULL,
    points       DECIMAL(9,2) NOT NULL,   -- indicator points × grant points ÷ indicator points, to 0.01
    max_points   DECIMAL(9,2) NOT NULL,
    PRIMARY KEY (run_id, entity_code, indicator_id, grant_id)
);
