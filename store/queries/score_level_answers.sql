-- The answers of one fiscal year given by a level's peers (their own and the ministry's files), as
-- the body of kf_answers (this year) and kf_prev_answers (the year before, kept only for the items
-- the change rules read: kf_prev_items). Args: fiscal year, level.
SELECT a.entity_code, a.item_id, a.value_num, a.value_text
FROM answers a
JOIN kf_inputs i ON i.id = a.submission_id
WHERE i.fiscal_year = CAST(? AS BIGINT) AND i.level IN (?, 'ministry') AND a.entity_code IN (SELECT entity_code FROM kf_peers)
