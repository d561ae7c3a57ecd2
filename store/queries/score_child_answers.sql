-- The answers of the fiscal year given for the centres and municipalities valid in it (their own
-- files' and the ministry's) to the items the levels above roll up the answers of (kf_child_items:
-- indicators.Rulebook.ChildAnswerItems), a table, not a view: a view cannot take a bind parameter.
-- Args: fiscal year.
CREATE OR REPLACE TEMP TABLE kf_child_answers AS
SELECT a.entity_code, a.item_id, a.value_num, a.value_text
FROM answers a
JOIN kf_inputs i ON i.id = a.submission_id
WHERE i.fiscal_year = CAST(? AS BIGINT) AND a.entity_code IN (SELECT code FROM kf_children)
  AND a.item_id IN (SELECT item_id FROM kf_child_items)
