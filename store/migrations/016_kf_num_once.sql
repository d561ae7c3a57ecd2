-- 016: kf_num (migration 001: a number rendered for people, 4.00 -> 4, 4.50 -> 4.5, 12.0 -> 12)
-- names its argument once instead of three times. DuckDB expands a macro's argument wherever the
-- body names it, so a reason that renders a computed number (a linear item's points: kf_div2 over
-- the answer) was bound three times over; binding dominated the score statements of small
-- nations. The same strings: without a '.', nothing matches and the text is unchanged; with one,
-- trailing zeros go, and the '.' with them when nothing else follows it
-- (TestKfNumRendersAsBefore compares it with 001's definition).
CREATE OR REPLACE MACRO kf_num(x) AS regexp_replace(CAST(x AS VARCHAR), '\.0*$|(\.[0-9]*?[1-9])0+$', '\1');
