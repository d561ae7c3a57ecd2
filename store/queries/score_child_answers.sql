-- The children's answers of the fiscal year (a table, not a view: a view cannot take a bind
-- parameter). Args: fiscal year.
CREATE OR REPLACE TEMP TABLE kf_child_answers AS
SELECT entity_code, item_id, value_num, value_text
FROM kf_all_answers
WHERE fiscal_year = ?
