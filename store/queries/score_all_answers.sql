-- The answers of the versions a score run reads, with their fiscal year. No args.
CREATE OR REPLACE TEMP TABLE kf_all_answers AS
SELECT a.entity_code, a.item_id, a.value_num, a.value_text, i.fiscal_year
FROM answers a
JOIN kf_inputs i ON i.id = a.submission_id
